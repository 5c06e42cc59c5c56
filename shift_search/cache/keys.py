"""Every key SHiFT stores, built in one place.

Layout (all under the versioned prefix ``shift:v1:``; components are percent-quoted so that no
component can contain the ``:`` separator and two different tuples never share a key):

    catalog:model:{model key}                      ModelRecord JSON (durable)
    catalog:model-name:{name}                      model key of the record holding that name
    catalog:dataset:{dataset key}                  DatasetRecord JSON (durable)
    catalog:dataset-name:{name}                    dataset key of the record holding that name
    catalog:version                                counts catalog changes (listings are kept)
    feat:{model}:{rows fp}                              features of rows, by content (evictable)
    nn:{model}:{train rows fp}:{test rows fp}:{metric}  1-NN of test rows among train rows
    res:proxy:{model}:{dataset fps}:{proxy}:{params hash}             stored.ProxyScore
    res:finetune:{model}:{dataset fps}:{params hash}                  stored.FinetuneScore
    res:scorer:{model}:{dataset fps}:{scorer}:{params hash}           stored.ProxyScore (RANK)
    res:task2vec:{probe model}:{dataset version fp}:{params hash}     Task2Vec embedding (.npy)
    sh:{run id}                                    stored.HalvingState (id: `sh_run_id`)
    benchmark:{run id}                             stored.BenchmarkResult (durable)
    history:seq / history:entry:{seq}              query history (stored.QueryLogEntry)
    lease:{task}                                   "compute once" leases
    session:{id}:var:{name}                        stored.StoredVariable of a session
    session:{id}                                   a session's variables, older layout (read)

{model} is ``ModelRecord.key``, ``models/{source}/{name}@{revision}~{outputs digest}``: the digest
covers every field that changes the model's outputs (``records.MODEL_OUTPUT_FIELDS``), so data
derived from a model is never read back for a model that computes something else, while a
metadata change (costs, tags, sizes) keeps it. The successive-halving run id hashes the same keys.
The JSON values' layouts live in `stored.py` (one record per kind), catalog records in `records.py`.

PURGE drops features, 1-NN summaries, results and SH state; never the catalog, the benchmark
results (records of fine-tuning runs, like the catalog), history or leases.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote

from shift_search.runtime.errors import InvalidArgument

PREFIX = "shift:v1:"

CATALOG = f"{PREFIX}catalog:"
MODELS = f"{CATALOG}model:"
MODEL_NAMES = f"{CATALOG}model-name:"
DATASETS = f"{CATALOG}dataset:"
DATASET_NAMES = f"{CATALOG}dataset-name:"
CATALOG_VERSION = f"{CATALOG}version"
"""A counter every catalog change increments once written, so a reader may keep a listing for
as long as the counter has not moved (`catalog.Catalog`)."""
FEATURES = f"{PREFIX}feat:"
NN_SUMMARIES = f"{PREFIX}nn:"
RESULTS = f"{PREFIX}res:"
PROXY_RESULTS = f"{RESULTS}proxy:"
FINETUNE_RESULTS = f"{RESULTS}finetune:"
SCORER_RESULTS = f"{RESULTS}scorer:"
TASK_EMBEDDINGS = f"{RESULTS}task2vec:"
SH_STATES = f"{PREFIX}sh:"
HISTORY = f"{PREFIX}history:"
HISTORY_ENTRIES = f"{HISTORY}entry:"
LEASES = f"{PREFIX}lease:"
SESSIONS = f"{PREFIX}session:"
BENCHMARK_RESULTS = f"{PREFIX}benchmark:"

PURGE_PREFIXES: tuple[str, ...] = (FEATURES, NN_SUMMARIES, RESULTS, SH_STATES)
"""What PURGE drops: derived data only, never the catalog, the history or leases."""

HISTORY_SEQ_WIDTH = 12  # zero padding, so that sorted keys are in sequence order

_SAFE = "/@._-=~"  # kept readable; ':', '+', '%' and everything else are quoted


def kind_of(key: str) -> str:
    """What a key holds, for metrics: `feat`, `res`, `nn`, `catalog`, `session`… (the part
    after the version prefix), "other" for keys outside it."""
    if not key.startswith(PREFIX):
        return "other"
    return key[len(PREFIX) :].split(":", 1)[0] or "other"


def _part(value: str | int) -> str:
    text = str(value)
    if not text:
        raise InvalidArgument("a cache key component is empty")
    return quote(text, safe=_SAFE)


def _join(prefix: str, *parts: str | int) -> str:
    return prefix + ":".join(_part(p) for p in parts)


def _fingerprints(fingerprints: Sequence[str]) -> str:
    if isinstance(fingerprints, str) or not fingerprints:
        raise InvalidArgument("dataset fingerprints must be a non-empty sequence of strings")
    return "+".join(_part(f) for f in fingerprints)


def model(model_key: str) -> str:
    """A catalog model record, by ``ModelRecord.key``."""
    return _join(MODELS, model_key)


def model_name(name: str) -> str:
    """The name index of models: holds the key of the record that owns ``name``."""
    return _join(MODEL_NAMES, name)


def dataset(dataset_key: str) -> str:
    """A catalog dataset record, by ``DatasetRecord.key``."""
    return _join(DATASETS, dataset_key)


def dataset_name(name: str) -> str:
    """The name index of datasets: holds the key of the record that owns ``name``."""
    return _join(DATASET_NAMES, name)


def features(model_key: str, rows_fingerprint: str) -> str:
    """Features of some rows of a segment, keyed by their content (positions and inputs)."""
    return _join(FEATURES, model_key, rows_fingerprint)


def nn_pair(model_key: str, train_rows: str, test_rows: str, metric: str) -> str:
    """1-NN of a block of test rows among a block of training rows (content-keyed both sides)."""
    return _join(NN_SUMMARIES, model_key, train_rows, test_rows, metric)


def proxy_result(
    model_key: str, dataset_fingerprints: Sequence[str], proxy: str, params_digest: str
) -> str:
    """A proxy score of a model on dataset versions (e.g. train then test fingerprints)."""
    fps = _fingerprints(dataset_fingerprints)
    return f"{PROXY_RESULTS}{_part(model_key)}:{fps}:{_part(proxy)}:{_part(params_digest)}"


def model_proxy_results(model_key: str) -> str:
    """The prefix of every proxy result of a model, on any data."""
    return f"{PROXY_RESULTS}{_part(model_key)}:"


def result_fingerprints(model_key: str, result_key: str) -> list[str]:
    """The dataset fingerprints a proxy result of `model_key` was computed on, in order (train
    segments, then test segments), read back from its key; [] for a key of another model."""
    prefix = model_proxy_results(model_key)
    if not result_key.startswith(prefix):
        return []
    fps = result_key[len(prefix) :].split(":", 1)[0]
    return [unquote(f) for f in fps.split("+")]


def proxy_results(model_key: str, dataset_fingerprints: Sequence[str]) -> str:
    """The prefix of every proxy result of a model on these dataset versions."""
    return f"{PROXY_RESULTS}{_part(model_key)}:{_fingerprints(dataset_fingerprints)}:"


def proxy_score(
    model_key: str,
    dataset_fingerprints: Sequence[str],
    proxy: str,
    params: Mapping[str, Any],
    samples: Sequence[int],
    chunk_size: int,
) -> str:
    """Where a proxy score is stored: the model, the data versions, the proxy, and a digest of
    everything else that changes it (resolved parameters, training samples per segment, chunk
    size)."""
    digest = params_hash(
        {"params": dict(params), "samples": list(samples), "chunk_size": chunk_size}
    )
    return proxy_result(model_key, dataset_fingerprints, proxy, digest)


def scorer_results(model_key: str, dataset_fingerprints: Sequence[str]) -> str:
    """The prefix of every scorer result (RANK … BY) of a model on these dataset versions."""
    return f"{SCORER_RESULTS}{_part(model_key)}:{_fingerprints(dataset_fingerprints)}:"


def scorer_score(
    model_key: str,
    dataset_fingerprints: Sequence[str],
    scorer: str,
    params: Mapping[str, Any],
    chunk_size: int,
) -> str:
    """Where a scorer's result of a model is stored: the model, the data versions (training
    segments, then test segments, or the training segments again when there is no test data),
    the scorer, and a digest of its parameters and the chunk size."""
    digest = params_hash({"params": dict(params), "chunk_size": chunk_size})
    return f"{scorer_results(model_key, dataset_fingerprints)}{_part(scorer)}:{_part(digest)}"


def task_embedding(probe_key: str, dataset_fingerprint: str, params: Mapping[str, Any]) -> str:
    """Where the Task2Vec embedding of a dataset version through a probe model is stored."""
    return _join(TASK_EMBEDDINGS, probe_key, dataset_fingerprint, params_hash(dict(params)))


def finetune_result(model_key: str, dataset_fingerprints: Sequence[str], params_digest: str) -> str:
    """The outcome of fine-tuning a model on dataset versions with given hyper-parameters."""
    fps = _fingerprints(dataset_fingerprints)
    return f"{FINETUNE_RESULTS}{_part(model_key)}:{fps}:{_part(params_digest)}"


def finetune_score(
    model_key: str, dataset_fingerprints: Sequence[str], hyper_parameters: Mapping[str, Any]
) -> str:
    """Where the outcome of fine-tuning a model with these hyper-parameters is stored."""
    return finetune_result(model_key, dataset_fingerprints, params_hash(hyper_parameters))


def sh_state(run_id: str) -> str:
    """State of one successive-halving run (named by the content hash of its plan)."""
    return _join(SH_STATES, run_id)


def sh_run_id(
    model_keys: Sequence[str],
    train_fingerprint: str,
    test_fingerprint: str,
    proxies: Sequence[tuple[str, Mapping[str, Any]]],
    chunk: int | None,
    budget: int | None,
) -> str:
    """A successive-halving run named by what it searches: models, data, proxies (name and
    parameters), CHUNK and BUDGET (None: AUTO)."""
    body = {
        "models": sorted(model_keys),
        "train": train_fingerprint,
        "test": test_fingerprint,
        "proxies": [(name, sorted(params.items())) for name, params in proxies],
        "chunk": chunk,
        "budget": budget,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:32]


def benchmark_result(run: str) -> str:
    """One fine-tuning run of the table benchmark_results, by its run id."""
    return _join(BENCHMARK_RESULTS, run)


def history_seq() -> str:
    """The counter that numbers query-history entries."""
    return f"{HISTORY}seq"


def history_entry(seq: int) -> str:
    """One query-history entry; zero-padded so that a sorted scan is in sequence order."""
    return f"{HISTORY_ENTRIES}{_index(seq):0{HISTORY_SEQ_WIDTH}d}"


def lease(task: str) -> str:
    """The lease that lets one worker compute ``task`` while the others wait."""
    return _join(LEASES, task)


def session(session_id: str) -> str:
    """The variables of one client session, all in one value (the layout before each variable
    had its own key; still read)."""
    return _join(SESSIONS, session_id)


def session_variables(session_id: str) -> str:
    """The prefix under which a session keeps its variables, one key each (so any planner
    replica can serve it, and two DECLAREs at once both stay)."""
    return f"{session(session_id)}:var:"


def session_variable(session_id: str, name: str) -> str:
    """One variable of a session; names ignore case."""
    return session_variables(session_id) + quote(name.lower(), safe="")


def params_hash(params: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of ``params`` (sorted keys; integral floats as ints)."""
    text = json.dumps(_canonical(params), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    match value:
        case bool() | None | str() | int():
            return value
        case float() if not math.isfinite(value):
            raise InvalidArgument(f"parameter value {value!r} is not finite")
        case float():
            return int(value) if value.is_integer() else value
        case Mapping():
            return {str(k): _canonical(v) for k, v in value.items()}
        case list() | tuple():
            return [_canonical(v) for v in value]
        case _:
            raise InvalidArgument(f"parameter value {value!r} is not JSON-serialisable")


def _index(value: int) -> int:
    if value < 0:
        raise InvalidArgument(f"index must be non-negative, got {value}")
    return value
