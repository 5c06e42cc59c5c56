"""The proxies SHiFT computes: their canonical names, how people write them, and what the cost
model charges per test sample for each.

The one list every side shares without importing torch: the planner binds the proxies of a query
against it and prices them with it, and the executor's registry (`executor/proxies/registry.py`)
holds exactly `EXECUTOR_PROXIES` (it refuses to load otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

EUCLIDEAN_NN = "euclidean_nn"
COSINE_NN = "cosine_nn"
KNN = "knn"
LINEAR = "linear"
LOGME = "logme"
LEEP = "leep"
NCE = "nce"
FINETUNE = "finetune"

EXECUTOR_PROXIES: Mapping[str, str] = {
    EUCLIDEAN_NN: "Euclidean NN",
    COSINE_NN: "Cosine NN",
    KNN: "kNN",
    LINEAR: "Linear",
    LOGME: "LogME",
    LEEP: "LEEP",
    NCE: "NCE",
}
"""Proxies an executor computes from features, or from the model's own classifier (LEEP, NCE)
(canonical name → spelling)."""

PLANNER_PROXIES: Mapping[str, str] = {FINETUNE: "FineTune"}
"""Rankings the planner runs itself (ORDER BY FineTune(...): successive halving over epochs)."""

PROXY_NAMES: Mapping[str, str] = {**EXECUTOR_PROXIES, **PLANNER_PROXIES}
"""Every proxy a query may name."""

SECONDS_PER_TEST_SAMPLE: Mapping[str, float] = MappingProxyType(
    {
        EUCLIDEAN_NN: 1e-5,
        COSINE_NN: 1e-5,
        KNN: 1e-5,
        LINEAR: 5e-3,
        LOGME: 0.0,
        LEEP: 1e-5,
        NCE: 1e-5,
    }
)
"""The cost model's T_proxy per test sample: 0.01 ms for nearest-neighbour proxies (measured in
`bench.estimates`: 500 test against 1,500 training samples of 384 floats take 2-5 ms per model
over cached features, up to 20 ms beside extraction; 0.1 ms, the earlier price, was 3-10x
high), 5 ms for a linear probe, 0.01 ms for LEEP and NCE (sums over the source model's
predictions), none for LogME (priced per model, `SECONDS_PER_MODEL`); a proxy missing here is
priced like a linear probe."""

SECONDS_PER_MODEL: Mapping[str, float] = MappingProxyType({LOGME: 0.1})
"""The cost model's T_proxy per model, whatever the test set: LogME fits a Bayesian linear model
on the training features alone (an eigen-decomposition of the D×D Gram matrix); on the 2-core
development machine it took 25-40 ms per model at D = 384 (400 to 4,000 samples) and 110-130 ms
at D = 768-1,280, where 5 ms per test sample, the linear probe's price it had before, made it
50-200x dear (a budgeted AUTO's evidence priced 2-3x its measured time)."""
