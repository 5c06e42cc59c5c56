"""Successive halving (SH) over data chunks: the schedule, AUTO parameters and elimination.

Models are arms. With M models there are L = ceil(log2 M) rounds (one round when M = 1: the lone
model is scored once, on all the data AUTO gives it). Round k starts with S_k survivors
(S_0 = M, S_{k+1} = ceil(S_k / 2)); each survivor gets r_k = floor(B / (S_k · L)) pulls, so after
round k it has had R_k = r_0 + … + r_k pulls in total. The minimal budget is B = M · L (r_0 = 1).

Samples per round: round k scores every survivor on the cumulative slice of C · R_k training
samples (capped at the training set size), as the authors' implementation does, not on C · r_k as
the paper's pseudo-code says. Slices are nested prefixes of the chunk order, so with cached chunk
embeddings round k only embeds the C · (R_k − R_{k−1}) samples that are new. AUTO picks
C = ceil(N / Σ_k R_k), the authors' rule, which reproduces their published queries
(M = 65: B = 455, C = 51 on CoLA and 399 on SST-2; M = 235: B = 1,880, C = 112 on CIFAR-100 and
3 on Flowers).

A CHUNK or BUDGET the user gives is honoured exactly, not rounded to storage chunks: round k
takes exactly min(C · R_k, N) samples, split over the segments by `proportional_slices` (a small
segment may give none), and the executor takes exactly those counts. Storage chunks (the
executor's unit of cached features) only decide which features are reused between rounds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shift_search.runtime.errors import FailedPrecondition, InvalidArgument


@dataclass(frozen=True)
class Schedule:
    """A successive-halving plan; the tuples are indexed by round k."""

    num_models: int
    budget: int
    chunk: int
    train_size: int
    survivors: tuple[int, ...]
    """S_k: models scored in round k."""
    pulls: tuple[int, ...]
    """r_k: pulls each survivor gets in round k."""
    cumulative_pulls: tuple[int, ...]
    """R_k = r_0 + … + r_k."""
    samples: tuple[int, ...]
    """Training samples each survivor is scored on in round k: min(C · R_k, N)."""

    @property
    def num_rounds(self) -> int:
        return len(self.survivors)

    def keep_after(self, k: int) -> int:
        """How many models survive round k: S_{k+1}, and 1 after the last round."""
        return math.ceil(self.survivors[k] / 2)

    def new_samples(self, k: int) -> int:
        """Training samples a survivor of round k embeds beyond those of round k − 1."""
        return self.samples[k] - (self.samples[k - 1] if k else 0)


def rounds(num_models: int) -> int:
    """L = ceil(log2 M); a single model still gets one round."""
    if num_models < 1:
        raise InvalidArgument(f"successive halving needs at least one model, got {num_models}")
    return max(1, math.ceil(math.log2(num_models)))


def minimal_budget(num_models: int) -> int:
    """B = M · L: the smallest budget that gives every model at least one pull."""
    return num_models * rounds(num_models)


def _survivors(num_models: int) -> list[int]:
    survivors = [num_models]
    for _ in range(rounds(num_models) - 1):
        survivors.append(math.ceil(survivors[-1] / 2))
    return survivors


def _cumulative_pulls(num_models: int, budget: int) -> tuple[list[int], list[int], list[int]]:
    """S_k, r_k and R_k for a budget; raises when the budget is below the minimum."""
    minimum = minimal_budget(num_models)
    if budget < minimum:
        raise FailedPrecondition(
            f"budget {budget} is too small for {num_models} models: successive halving needs at "
            f"least {minimum} pulls ({num_models} models × {rounds(num_models)} rounds)"
        )
    survivors = _survivors(num_models)
    per_round = len(survivors)
    pulls = [budget // (s * per_round) for s in survivors]
    return survivors, pulls, [sum(pulls[: k + 1]) for k in range(per_round)]


def make_schedule(num_models: int, budget: int, chunk: int, train_size: int) -> Schedule:
    """The SH schedule for M models, budget B pulls and C samples per pull on N samples."""
    if chunk < 1:
        raise InvalidArgument(f"chunk must be a positive number of samples, got {chunk}")
    if train_size < 0:
        raise InvalidArgument(f"training set size cannot be negative, got {train_size}")
    survivors, pulls, cumulative = _cumulative_pulls(num_models, budget)
    return Schedule(
        num_models=num_models,
        budget=budget,
        chunk=chunk,
        train_size=train_size,
        survivors=tuple(survivors),
        pulls=tuple(pulls),
        cumulative_pulls=tuple(cumulative),
        samples=tuple(min(chunk * r, train_size) for r in cumulative),
    )


def auto_chunk(num_models: int, budget: int, train_size: int) -> int:
    """The authors' rule C = ceil(N / Σ_k R_k) for a given budget."""
    if train_size < 1:
        raise InvalidArgument("successive halving needs a non-empty training set")
    _, _, cumulative = _cumulative_pulls(num_models, budget)
    return math.ceil(train_size / sum(cumulative))


def eliminate(scores: Mapping[str, float], keep: int) -> list[str]:
    """The `keep` best names (lowest error first; NaN counts as worst; ties broken by name)."""
    if keep < 0:
        raise InvalidArgument(f"cannot keep a negative number of models ({keep})")
    ranked = sorted(scores, key=lambda name: (math.isnan(scores[name]), scores[name], name))
    return ranked[:keep]


def proportional_slices(segment_sizes: Sequence[int], samples: int) -> list[int]:
    """Samples to take from each segment, in proportion to its size (largest remainder).

    The result sums to exactly min(samples, total); each share is within one sample of its exact
    quota and never above its segment's size; equal remainders go to the earlier segment. Like
    every largest-remainder rule it is not monotone in `samples` (a share may shrink by one
    sample when `samples` grows), which is harmless since slices are prefixes of cached chunks.
    """
    if samples < 0 or any(size < 0 for size in segment_sizes):
        raise InvalidArgument("segment sizes and sample counts cannot be negative")
    total = sum(segment_sizes)
    wanted = min(samples, total)
    if wanted == 0:
        return [0] * len(segment_sizes)
    shares = [wanted * size // total for size in segment_sizes]
    remainders = [wanted * size % total for size in segment_sizes]
    order = sorted(range(len(shares)), key=lambda j: (-remainders[j], j))
    for j in order[: wanted - sum(shares)]:
        shares[j] += 1
    return shares
