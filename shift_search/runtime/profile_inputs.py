"""The inputs models are profiled on, shared by the executor (which measures on them) and the
planner (which scales the measured cost to a dataset's texts). Torch-free."""

from __future__ import annotations

PROFILE_SENTENCE = "a typical review of a product that someone bought and wrote a few words about"
PROFILE_BATCH = 64
"""The batch size feature extraction runs with, so a profiled cost is what embedding costs; a
profile first runs one batch untimed (first-call allocations, lazy initialisation)."""
PROFILE_SAMPLES = 4 * PROFILE_BATCH
"""Samples a profile times: four batches, so that it times extraction as it runs on a dataset,
each batch prepared on a helper thread while the model runs the one before. One batch times
preparation and model back to back: 2x the steady cost per sample for MiniLM-L6 on 2 cores, and
the cost model's cold estimates were 1.9-2.1x what extraction then took."""


def profile_texts(count: int = PROFILE_SAMPLES) -> list[str]:
    """`count` short texts of about `PROFILE_TEXT_CHARS` characters each."""
    return [f"{PROFILE_SENTENCE} {i}" for i in range(count)]


PROFILE_TEXT_CHARS = sum(map(len, profile_texts())) / PROFILE_SAMPLES
"""Mean characters of the profiling texts: a text model's measured cost per sample holds for
texts this long, and the planner scales it linearly to a dataset's mean text length."""

PROFILE_TEXT_TOKENS = 18.0
"""Mean tokens of the profiling texts by the reference tokenizer (all-MiniLM-L6-v2's WordPiece,
special tokens included; a test checks it): the planner scales a text model's measured cost per
sample by a dataset's mean tokens over this where the dataset's tokens are known."""
