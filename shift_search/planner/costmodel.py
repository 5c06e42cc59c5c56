"""The automatic-optimisation (AO) cost model: price a task-aware search with and without SH.

Seconds throughout. Per model i: L_i seconds to load, I_i seconds to embed one sample; D devices;
N_tr / N_te training / test samples; T_O task overhead, T_load load overhead (per task), T_proxy
proxy cost per test sample (constants from the paper, which gives them in ms).

- Without SH (the paper's formula, with one load per task: our executor embeds both splits in
  one task, so it loads a model once where the paper charges 2 L_i):
  Σ_i (T_O + T_load + L_i + I_i (N_tr + N_te) + T_proxy N_te) / D.
- With SH, as our executor runs it: every model embeds the full test set once (in its round-0
  task), then round k costs
  S_k · mean_i(T_O + T_load + L_i + I_i · ΔC_k + T_proxy N_te) / min(D, S_k),
  where ΔC_k are the samples round k embeds. Features are cached per storage chunk (1,024 rows)
  and keyed by the rows they hold, so the whole storage chunks of round k − 1's slice are reused
  while its last, partial one is embedded again as part of a bigger one:
  ΔC_k = min(C R_k, N_tr) − G · floor(min(C R_{k−1}, N_tr) / G) for storage chunk G (0 when the
  slice did not grow). The paper's formula (`cost_with_sh_paper`) charges the whole
  cumulative slice C · R_k again every round, as the authors' per-slice cache did.

Cached work is not recomputed: a model whose embeddings are all cached is not loaded, a task
reads the cached features it uses (T_lookup per sample), and a model whose proxy result on the
slice is cached costs nothing at all. A slice is cached only as the executor keys features: whole
storage chunks, and the leading part of a chunk only for a slice of exactly that many samples (a
shorter slice of a cached chunk is embedded again). SH cannot know which models survive, so a
round prices the mean model.

The constants are our executor's, measured (`CostConstants`); `PAPER_CONSTANTS` are the paper's
(T_O = 0.8 s, T_load = 0.7 s per task), which price a task about 100 times dearer than ours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from shift_search.planner.halving import Schedule, auto_chunk, make_schedule, minimal_budget
from shift_search.runtime.errors import InvalidArgument
from shift_search.runtime.proxy_names import SECONDS_PER_MODEL as DEFAULT_PROXY_FIXED
from shift_search.runtime.proxy_names import SECONDS_PER_TEST_SAMPLE as DEFAULT_PROXY_SECONDS
from shift_search.tasks.specs import CHUNK_SIZE


@dataclass(frozen=True)
class ModelCost:
    """What one model costs: seconds to load it, seconds to embed one sample, and how many
    times that it takes to train on one (`finetune_cost.TRAIN_FACTORS`, by modality)."""

    load_seconds: float
    infer_seconds_per_sample: float
    train_factor: float = 3.0  # finetune_cost.FINETUNE_FACTOR (importing it here would cycle)


@dataclass(frozen=True)
class CostConstants:
    """Per-task overheads (seconds), reading cached features and the proxy cost per test sample
    (seconds). The defaults are what a task costs on our executor, measured with
    `python -m bench.estimates` on the 2-core development machine (executor phases per task):
    a score task spends 4–40 ms (median about 10) outside its data, feature and proxy phases,
    reads a cached feature row in about 5 µs, and profiling times a model's whole load, so
    there is no load overhead beyond it."""

    task_overhead: float = 0.01
    load_overhead: float = 0.0
    lookup_per_sample: float = 5e-6
    """Reading one cached feature row (fetching and decompressing its chunk): in
    `bench.estimates`, 4 tasks read 8,000 rows of 384 floats in 0.03 s, and 2 tasks 4,000 in
    0.03 s (10 µs, the earlier price, made a pass over cached features 2-3x dear)."""
    proxy_per_test_sample: Mapping[str, float] = field(
        default_factory=lambda: DEFAULT_PROXY_SECONDS
    )
    unknown_proxy_per_test_sample: float = 5e-3
    """Used for proxies missing from the table (plug-in scorers): priced like a linear probe."""
    proxy_per_model: Mapping[str, float] = field(default_factory=lambda: DEFAULT_PROXY_FIXED)
    """A proxy's seconds per model whatever the test set (LogME fits on the training features)."""
    storage_chunk: int = CHUNK_SIZE
    """Rows per cached feature chunk: SH re-embeds the partial last chunk of each round."""

    def proxy_seconds(self, proxy: str, n_test: int) -> float:
        """T_proxy of one model: its fixed part and its part per test sample."""
        per_sample = self.proxy_per_test_sample.get(proxy, self.unknown_proxy_per_test_sample)
        return self.proxy_per_model.get(proxy, 0.0) + per_sample * n_test


DEFAULT_CONSTANTS = CostConstants()
PAPER_CONSTANTS = CostConstants(task_overhead=0.8, load_overhead=0.7, lookup_per_sample=0.0)
"""The paper's constants (its per-task overheads, no price for reading cached features)."""


@dataclass(frozen=True)
class CachedWork:
    """What the cache already holds for one model on this query's data."""

    train_samples: int = 0
    """Training samples (a prefix of the chunk order) whose features are cached."""
    test_samples: int = 0
    """Test samples whose features are cached."""
    proxy_done: bool = False
    """The proxy's result on the full training set is cached: nothing left to do."""


@dataclass(frozen=True)
class StepEstimate:
    """One priced step: its name, estimated seconds, a line for people, and how much of its
    kind of work it holds (tasks, loads, uncached samples, models or survivors)."""

    name: str
    seconds: float
    detail: str
    amount: int = 0


@dataclass(frozen=True)
class Decision:
    """AO's choice; `schedule` is the SH plan that was priced (None when there is nothing to do)."""

    use_sh: bool
    chunk: int | None
    budget: int | None
    cost_with_sh: float
    cost_without_sh: float
    reason: str
    schedule: Schedule | None = None


@dataclass(frozen=True)
class _Workload:
    """The inputs every estimate shares, validated once."""

    models: Sequence[ModelCost]
    n_train: int
    n_test: int
    proxy_seconds: float
    """T_proxy of one model on this test set (`CostConstants.proxy_seconds`)."""
    devices: int
    cached: Sequence[CachedWork]
    constants: CostConstants

    def missing_test(self, i: int) -> int:
        work = self.cached[i]
        return 0 if work.proxy_done else max(0, self.n_test - work.test_samples)

    def missing_train(self, i: int) -> int:
        work = self.cached[i]
        return 0 if work.proxy_done else max(0, self.n_train - work.train_samples)

    def cached_train(self, i: int) -> int:
        """Training samples a full pass of model i reads from the cache."""
        work = self.cached[i]
        return 0 if work.proxy_done else self.n_train - self.missing_train(i)

    def cached_test(self, i: int) -> int:
        """Test samples a task of model i reads from the cache."""
        work = self.cached[i]
        return 0 if work.proxy_done else self.n_test - self.missing_test(i)

    def new_train(self, i: int, before: int, upto: int) -> int:
        """Samples model i embeds to grow its slice from `before` to `upto` samples.

        Features are keyed as the executor stores them: whole storage chunks (the last chunk of
        the data is whole at its end), and a chunk's leading part only for a slice of exactly
        that size. So the whole chunks of the old slice and of the cached prefix are reused; the
        leading part of a chunk is embedded (again) unless the cached prefix ends exactly there.
        """
        work = self.cached[i]
        if work.proxy_done or upto <= before:
            return 0
        chunk = self.constants.storage_chunk
        whole = max(before, work.train_samples) // chunk  # whole chunks cached
        if work.train_samples >= self.n_train:
            return 0 if upto >= self.n_train or upto % chunk == 0 else upto % chunk
        if upto >= self.n_train:
            return self.n_train - min(whole * chunk, self.n_train)
        new_whole = max(0, upto // chunk - whole) * chunk
        partial = upto % chunk
        return new_whole + (0 if partial == 0 or upto == work.train_samples else partial)

    def task_seconds(self, i: int) -> float:
        """T_O + T_proxy: what every task that scores model i costs."""
        if self.cached[i].proxy_done:
            return 0.0
        return self.constants.task_overhead + self.proxy_seconds


def _workload(
    models: Sequence[ModelCost],
    n_train: int,
    n_test: int,
    proxy: str,
    devices: int,
    cached: Sequence[CachedWork] | None,
    constants: CostConstants,
) -> _Workload:
    if devices < 1:
        raise InvalidArgument(f"need at least one device, got {devices}")
    if n_train < 0 or n_test < 0:
        raise InvalidArgument("sample counts cannot be negative")
    work = list(cached) if cached is not None else [CachedWork()] * len(models)
    if len(work) != len(models):
        raise InvalidArgument(f"cached work for {len(work)} models, but {len(models)} models")
    seconds = constants.proxy_seconds(proxy, n_test)
    return _Workload(models, n_train, n_test, seconds, devices, work, constants)


def _steps_without_sh(w: _Workload) -> list[StepEstimate]:
    todo = [i for i, work in enumerate(w.cached) if not work.proxy_done]
    embeds = {i: w.missing_train(i) > 0 or w.missing_test(i) > 0 for i in todo}
    loads = sum(w.models[i].load_seconds * embeds[i] for i in todo)
    overhead = sum(w.constants.load_overhead for i in todo if embeds[i])
    lookup = w.constants.lookup_per_sample
    train = sum(
        w.models[i].infer_seconds_per_sample * w.missing_train(i) + lookup * w.cached_train(i)
        for i in todo
    )
    test = sum(
        w.models[i].infer_seconds_per_sample * w.missing_test(i) + lookup * w.cached_test(i)
        for i in todo
    )
    d = w.devices
    missing_train = sum(w.missing_train(i) for i in todo)
    missing_test = sum(w.missing_test(i) for i in todo)
    return [
        StepEstimate(
            "task overhead",
            (len(todo) * w.constants.task_overhead + overhead) / d,
            f"{len(todo)} tasks on {d} devices",
            len(todo),
        ),
        StepEstimate(
            "load models", loads / d, f"{sum(embeds.values())} loads", sum(embeds.values())
        ),
        StepEstimate(
            "embed train", train / d, f"{missing_train:,} uncached samples in all", missing_train
        ),
        StepEstimate(
            "embed test", test / d, f"{missing_test:,} uncached samples in all", missing_test
        ),
        StepEstimate(
            "proxy",
            len(todo) * w.proxy_seconds / d,
            f"{len(todo)} models × {w.n_test:,} test samples",
            len(todo),
        ),
    ]


def _round_model_seconds(w: _Workload, schedule: Schedule, k: int, i: int) -> float:
    """What scoring model i in round k costs, test-set embedding excepted."""
    return sum(_round_model_parts(w, schedule, k, i).values())


def _steps_with_sh(w: _Workload, schedule: Schedule) -> list[StepEstimate]:
    m = len(w.models)
    if schedule.num_models != m or schedule.train_size != w.n_train:
        raise InvalidArgument(
            f"schedule is for {schedule.num_models} models on {schedule.train_size} samples, "
            f"not {m} models on {w.n_train}"
        )
    test = sum(w.models[i].infer_seconds_per_sample * w.missing_test(i) for i in range(m))
    missing_test = sum(map(w.missing_test, range(m)))
    steps = [
        StepEstimate(
            "embed test",
            test / min(w.devices, m),
            f"{missing_test:,} uncached samples in all",
            missing_test,
        ),
    ]
    for k, survivors in enumerate(schedule.survivors):
        mean = sum(_round_model_seconds(w, schedule, k, i) for i in range(m)) / m
        detail = (
            f"{survivors} models × {schedule.new_samples(k):,} new samples "
            f"({schedule.samples[k]:,} in all), keep {schedule.keep_after(k)}"
        )
        steps.append(
            StepEstimate(
                f"round {k}", survivors * mean / min(w.devices, survivors), detail, survivors
            )
        )
    return steps


PARTS = ("features", "proxy", "other")
"""What an estimate is made of, in the executor's terms (its task phases): `features` (reading
data, loading the model, forward passes, feature cache reads and writes; the executor loads a
model inside its `extract` phase), `proxy` (the proxy itself) and `other` (per-task overhead)."""


def _parts_without_sh(w: _Workload) -> list[dict[str, float]]:
    steps = _steps_without_sh(w)
    todo = sum(not work.proxy_done for work in w.cached)
    overhead = todo * w.constants.task_overhead / w.devices
    first, *rest = steps
    kinds = {"load models": "features", "embed train": "features", "embed test": "features"}
    return [
        {"other": overhead, "features": first.seconds - overhead},
        *({kinds.get(s.name, "proxy"): s.seconds} for s in rest),
    ]


def _round_model_parts(w: _Workload, schedule: Schedule, k: int, i: int) -> dict[str, float]:
    """What scoring model i in round k costs, test-set embedding excepted, split into PARTS."""
    before = schedule.samples[k - 1] if k else 0
    new = w.new_train(i, before, schedule.samples[k])
    embeds_test = k == 0 and w.missing_test(i) > 0  # embedded by round 0's task, kept in memory
    embeds = new > 0 or embeds_test
    model = w.models[i]
    done = w.cached[i].proxy_done
    load = w.constants.load_overhead + model.load_seconds if embeds else 0.0
    read = 0 if done else schedule.samples[k] - new + (0 if embeds_test else w.n_test)
    return {
        "features": load
        + model.infer_seconds_per_sample * new
        + w.constants.lookup_per_sample * read,
        "proxy": 0.0 if done else w.proxy_seconds,
        "other": 0.0 if done else w.constants.task_overhead,
    }


def _parts_with_sh(w: _Workload, schedule: Schedule) -> list[dict[str, float]]:
    steps = _steps_with_sh(w, schedule)
    m = len(w.models)
    parts = [{"features": steps[0].seconds}]
    for k, survivors in enumerate(schedule.survivors):
        per_model = [_round_model_parts(w, schedule, k, i) for i in range(m)]
        scale = survivors / m / min(w.devices, survivors)
        parts.append({kind: scale * sum(p[kind] for p in per_model) for kind in PARTS})
    return parts


def estimate_parts(
    models: Sequence[ModelCost],
    n_train: int,
    n_test: int,
    proxy: str,
    devices: int,
    schedule: Schedule | None,
    cached: Sequence[CachedWork] | None = None,
    constants: CostConstants = DEFAULT_CONSTANTS,
) -> list[dict[str, float]]:
    """What each of `estimate_steps`' steps is made of (seconds per PARTS kind, summing to the
    step): EXPLAIN ANALYZE splits measured time over the steps the same way."""
    w = _workload(models, n_train, n_test, proxy, devices, cached, constants)
    return _parts_without_sh(w) if schedule is None else _parts_with_sh(w, schedule)


def cost_without_sh(
    models: Sequence[ModelCost],
    n_train: int,
    n_test: int,
    proxy: str,
    devices: int,
    cached: Sequence[CachedWork] | None = None,
    constants: CostConstants = DEFAULT_CONSTANTS,
) -> float:
    """Seconds to compute the proxy for every model on all the data (cached work is free)."""
    w = _workload(models, n_train, n_test, proxy, devices, cached, constants)
    return sum(step.seconds for step in _steps_without_sh(w))


def cost_with_sh(
    models: Sequence[ModelCost],
    n_train: int,
    n_test: int,
    proxy: str,
    devices: int,
    schedule: Schedule,
    cached: Sequence[CachedWork] | None = None,
    constants: CostConstants = DEFAULT_CONSTANTS,
) -> float:
    """Seconds for successive halving as our executor runs it (only new chunks are embedded)."""
    w = _workload(models, n_train, n_test, proxy, devices, cached, constants)
    return sum(step.seconds for step in _steps_with_sh(w, schedule))


def cost_with_sh_paper(
    models: Sequence[ModelCost],
    n_train: int,
    n_test: int,
    proxy: str,
    devices: int,
    schedule: Schedule,
    constants: CostConstants = DEFAULT_CONSTANTS,
) -> float:
    """The paper's SH formula: each round re-embeds its whole cumulative slice; no cache.

    Σ_i I_i N_te / min(D, M) + Σ_k S_k (T_load + L̄ + Ī · min(C R_k, N_tr) + T_proxy N_te + T_O)
    / min(D, S_k).
    """
    w = _workload(models, n_train, n_test, proxy, devices, None, constants)
    m = len(models)
    if schedule.num_models != m:
        raise InvalidArgument(f"schedule is for {schedule.num_models} models, not {m}")
    load = sum(model.load_seconds for model in models) / m
    infer = sum(model.infer_seconds_per_sample for model in models) / m
    per_task = constants.load_overhead + load + constants.task_overhead + w.proxy_seconds
    rounds = sum(
        s * (per_task + infer * samples) / min(devices, s)
        for s, samples in zip(schedule.survivors, schedule.samples, strict=True)
    )
    return infer * m * n_test / min(devices, m) + rounds


def estimate_steps(
    models: Sequence[ModelCost],
    n_train: int,
    n_test: int,
    proxy: str,
    devices: int,
    schedule: Schedule | None,
    cached: Sequence[CachedWork] | None = None,
    constants: CostConstants = DEFAULT_CONSTANTS,
) -> list[StepEstimate]:
    """EXPLAIN's estimated steps: of the SH plan `schedule`, or of the full-data plan if None.

    The steps sum to `cost_with_sh` / `cost_without_sh` for the same inputs.
    """
    w = _workload(models, n_train, n_test, proxy, devices, cached, constants)
    return _steps_without_sh(w) if schedule is None else _steps_with_sh(w, schedule)


def decide(
    models: Sequence[ModelCost],
    n_train: int,
    n_test: int,
    proxy: str,
    devices: int,
    cached: Sequence[CachedWork] | None = None,
    chunk: int | None = None,
    budget: int | None = None,
    constants: CostConstants = DEFAULT_CONSTANTS,
) -> Decision:
    """Choose between SH and full data. None means AUTO; a CHUNK or BUDGET the user fixed means SH.

    With one of them fixed, the other is filled in as AUTO would (B = M · L, C = ceil(N / Σ R_k)).
    """
    without = cost_without_sh(models, n_train, n_test, proxy, devices, cached, constants)
    if not models:
        return Decision(False, None, None, 0.0, without, "no models to score")
    if n_train < 1:
        raise InvalidArgument("the training set is empty")
    m = len(models)
    budget_used = minimal_budget(m) if budget is None else budget
    chunk_used = auto_chunk(m, budget_used, n_train) if chunk is None else chunk
    schedule = make_schedule(m, budget_used, chunk_used, n_train)
    with_sh = cost_with_sh(models, n_train, n_test, proxy, devices, schedule, cached, constants)
    fixed = chunk is not None or budget is not None
    use_sh, reason = choose(schedule, with_sh, without, fixed)
    return Decision(use_sh, chunk_used, budget_used, with_sh, without, reason, schedule)


MIN_SH_SAVING = 0.05
"""AO runs SH only when it saves at least this share of the full pass: SH judges models on part
of the data, so a tie (within the estimates' error) goes to the full pass, which cannot drop
the best model early."""


def choose(schedule: Schedule, with_sh: float, without: float, fixed: bool) -> tuple[bool, str]:
    """AO's rule on two priced totals: SH when fixed by the query, else when it saves at least
    `MIN_SH_SAVING` of the full pass."""
    costs = f"estimated {with_sh:,.1f} s with SH, {without:,.1f} s without"
    if fixed:
        return True, f"CHUNK/BUDGET fixed by the query; {costs}"
    if schedule.samples[0] >= schedule.train_size:
        return False, f"the first round already covers all {schedule.train_size:,} samples"
    if with_sh < without:
        if with_sh <= 0:
            return True, f"SH is cheaper (the cache holds its rounds): {costs}"
        if with_sh <= (1 - MIN_SH_SAVING) * without:
            return True, f"SH is cheaper ({without / with_sh:.1f}x): {costs}"
        saving = 1 - with_sh / without
        return False, f"SH saves too little ({saving:.0%}, under {MIN_SH_SAVING:.0%}): {costs}"
    return False, f"SH saves nothing: {costs}"
