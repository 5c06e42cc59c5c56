"""Incremental paths through the planner: SHiFT-QL queries on QueryService.Execute, with every
service real (one in-process `shift serve`) and tiny models. Work is counted by the cache keys
each query adds (features are keyed by model and rows, 1-NN searches by pairs of row blocks);
results are compared, bit for bit, with a second deployment that purges before every query."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from shift_search.cache import keys
from shift_search.cache.client import CacheClient
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.cli.serve import build
from shift_search.executor.datasets.segments import SegmentReader
from shift_search.executor.features.store import blocks
from shift_search.proto.v1 import query_pb2, query_pb2_grpc
from shift_search.runtime.server import ServiceServer
from shift_search.runtime.values import value_from_proto
from shift_search.tasks.specs import CHUNK_SIZE
from tests.query_stream import events_of
from tests.services.conftest import serve_args
from tests.tiny_world import register_datasets, reviews_dataset

MODELS = ("bert-a", "bert-b")
DERIVED = (keys.FEATURES, keys.NN_SUMMARIES, keys.RESULTS, keys.SH_STATES)


def query(train: str, proxies: str = '"Euclidean NN"') -> str:
    return (
        f"SELECT name FROM text_models ORDER BY err ASC TRAINED ON {train} "
        f'TESTED ON "reviews-test" CLASSIFIED BY [{proxies}] WAIT;'
    )


@dataclass
class Deployment:
    server: ServiceServer
    channel: grpc.Channel
    cache: CacheClient

    def run(self, script: str) -> list[query_pb2.QueryEvent]:
        stub = query_pb2_grpc.QueryServiceStub(self.channel)
        return events_of(stub.Execute(query_pb2.ExecuteRequest(script=script), timeout=300))

    def scores(self, script: str) -> dict[tuple[str, str], float]:
        """(model, proxy) → error of the query's ranking."""
        (table,) = [e.result for e in self.run(script) if e.WhichOneof("event") == "result"]
        columns = list(table.columns)
        rows = [
            dict(zip(columns, [value_from_proto(c) for c in row.cells], strict=True))
            for row in table.rows
        ]
        return {(r["name"], r["proxy"]): r["error"] for r in rows}

    def keys(self, *prefixes: str) -> set[str]:
        return {k for prefix in prefixes for k in self.cache.scan(prefix)}


def register(cache: CacheClient, world: Path, address: str) -> None:
    """The models straight into the cache; the datasets through the server at `address`."""
    for name in MODELS:  # costs given, so no query stops to profile a model
        cache.register_model(
            ModelRecord(
                name=name,
                source="huggingface",
                uri=str(world / name),
                inference_cost=1.0,
                load_cost=0.5,
            )
        )
    register_datasets(
        address,
        *(
            reviews_dataset(f"reviews-{name}", str(world / f"{name}.csv"))
            for name in ("train", "extra", "test")
        ),
        DatasetRecord(  # labels only: a CHANGE that fixes labels
            name="relabel", uri=str(world / "relabel.csv"), format="csv", label_column="label"
        ),
    )


def deploy(world: Path, path: Path) -> Iterator[Deployment]:
    server = build(serve_args(f"sqlite:///{path}")).start()
    cache = CacheClient(server.internal_address)
    register(cache, world, server.address)
    channel = grpc.insecure_channel(server.address)
    yield Deployment(server, channel, cache)
    channel.close()
    cache.close()
    server.stop(grace=0.5)


@pytest.fixture(scope="module")
def deployed(
    world: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Deployment, Deployment]]:
    """(incremental, from scratch): two deployments that share nothing."""
    folder = tmp_path_factory.mktemp("planner-paths")
    inc, scratch = deploy(world, folder / "inc.sqlite3"), deploy(world, folder / "scratch.sqlite3")
    yield next(inc), next(scratch)
    for gen in (inc, scratch):
        next(gen, None)


@pytest.fixture
def inc(deployed: tuple[Deployment, Deployment]) -> Deployment:
    """The incremental deployment, starting from an empty cache."""
    deployed[0].run("PURGE;")
    return deployed[0]


def from_scratch(deployed: tuple[Deployment, Deployment], script: str) -> dict[Any, float]:
    scratch = deployed[1]
    scratch.run("PURGE;")
    return scratch.scores(script)


def informative(scores: dict[Any, float]) -> bool:
    return all(0.0 < error < 1.0 for error in scores.values())


def test_appended_data_embeds_only_the_new_segment(
    inc: Deployment, deployed: tuple[Deployment, Deployment], world: Path
) -> None:
    inc.run(query('"reviews-train"'))
    before = inc.keys(keys.FEATURES)
    appended = query('["reviews-train", "reviews-extra"]')
    after = inc.scores(appended)
    extra = DatasetRecord(name="extra", uri=str(world / "extra.csv"), format="csv")
    (chunk,) = blocks(SegmentReader().read(extra), None, CHUNK_SIZE)
    embedded = inc.keys(keys.FEATURES) - before
    assert embedded == {
        keys.features(inc.cache.get_model(name).key, chunk.fingerprint) for name in MODELS
    }
    assert informative(after)
    assert after == from_scratch(deployed, appended)


def test_label_change_needs_no_forward_pass_and_no_search(
    inc: Deployment, deployed: tuple[Deployment, Deployment]
) -> None:
    original = inc.scores(query('"reviews-train"'))
    before = inc.keys(keys.FEATURES, keys.NN_SUMMARIES)
    changed = query('("reviews-train" CHANGE [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] TO "relabel")')
    after = inc.scores(changed)
    assert inc.keys(keys.FEATURES, keys.NN_SUMMARIES) == before  # nothing embedded or searched
    assert len(inc.keys(keys.PROXY_RESULTS)) == 2 * len(MODELS)  # only the new results
    assert after != original and informative(after)
    assert after == from_scratch(deployed, changed)


def test_another_proxy_on_cached_features_needs_no_forward_pass(
    inc: Deployment, deployed: tuple[Deployment, Deployment]
) -> None:
    inc.run(query('"reviews-train"'))
    features = inc.keys(keys.FEATURES)
    other = query('"reviews-train"', '"Cosine NN", "LogME", "Linear"')
    after = inc.scores(other)
    assert inc.keys(keys.FEATURES) == features
    assert {proxy for _, proxy in after} == {"Cosine NN", "LogME", "Linear"}
    assert after == from_scratch(deployed, other)


def test_purge_statement_drops_results_and_features_and_keeps_the_catalog(
    inc: Deployment,
) -> None:
    first = inc.scores(query('"reviews-train"'))
    catalog = (inc.cache.list_models(), inc.cache.list_datasets())
    assert all(inc.keys(prefix) for prefix in (keys.FEATURES, keys.NN_SUMMARIES, keys.RESULTS))
    events = inc.run("PURGE;")
    notes = [e.message.text for e in events if e.WhichOneof("event") == "message"]
    assert any("catalog kept" in note for note in notes)
    assert inc.keys(*DERIVED) == set()
    assert (inc.cache.list_models(), inc.cache.list_datasets()) == catalog
    assert inc.keys(keys.HISTORY_ENTRIES)  # the query history stays too
    again = inc.run(query('"reviews-train"'))
    done = [e.task_done for e in again if e.WhichOneof("event") == "task_done"]
    assert {d.model for d in done} == set(MODELS) and not any(d.from_cache for d in done)
    assert inc.scores(query('"reviews-train"')) == first
