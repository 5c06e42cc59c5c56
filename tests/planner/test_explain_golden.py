"""Golden EXPLAIN plans over a fixed test catalog (fixed costs, described datasets, so no
model or data is touched). Add a case: write explain/NAME.sql, then regenerate with
SHIFT_REGEN_GOLDEN=1 pytest tests/planner/test_explain_golden.py and review NAME.plan. A case
whose first line is `-- devices: N` is explained by a server with N executor slots."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from shift_search.cache.benchmark_results import add_results
from shift_search.cache.client import CacheClient
from shift_search.cache.records import DatasetRecord, ModelRecord, SegmentRecord
from shift_search.cli.serve import build
from shift_search.proto.v1 import query_pb2, query_pb2_grpc
from shift_search.runtime.server import ServiceServer
from tests.planner.benchmark_world import TARGET_TAGS, benchmark_runs
from tests.services.conftest import serve_args

CASES = Path(__file__).parent / "explain"
REGEN = os.environ.get("SHIFT_REGEN_GOLDEN") == "1"


def _dataset(name: str, size: int) -> DatasetRecord:
    segment = SegmentRecord(uri=f"/data/{name}.csv", format="csv", size=size, fingerprint=name)
    return DatasetRecord(
        name=name,
        uri=segment.uri,
        format="csv",
        size=size,
        num_classes=2,
        fingerprint=f"fp-{name}",
        segments=(segment,),
        date_added="2026-01-01",
        tags=TARGET_TAGS.get(name, {}),
    )


def _models() -> list[ModelRecord]:
    out = []
    for i in range(65):
        out.append(
            ModelRecord(
                name=f"text-{i:02d}",
                source="huggingface",
                uri=f"/models/text-{i:02d}",
                num_params=(i + 1) * 1_000_000,
                upstream_accuracy=None if i % 5 else 0.5 + i / 200,
                inference_cost=0.053 if i % 2 else 0.016,
                load_cost=2.0,
                date_added="2026-01-01",
            )
        )
    for i in range(3):
        out.append(
            ModelRecord(
                name=f"image-{i}",
                source="efficientnet",
                uri=f"efficientnet-lite{i}",
                modality="image",
                num_params=5_000_000 + i,
                upstream_accuracy=0.75 + i / 100,
                inference_cost=0.02,
                load_cost=1.0,
                date_added="2026-01-01",
            )
        )
    return out


def _serve(tmp_path_factory: pytest.TempPathFactory, slots: int) -> ServiceServer:
    store = f"sqlite:///{tmp_path_factory.mktemp('explain') / 'store.sqlite3'}"
    server = build(serve_args(store, slots=slots)).start()
    cache = CacheClient(server.internal_address)
    for model in _models():
        cache.register_model(model)
    for name, size in (
        ("sst2-train", 67_349),
        ("sst2-test", 872),
        ("cola-train", 8_551),
        ("cola-test", 1_043),
        ("vtab-train", 800),
        ("vtab-test", 200),
    ):
        cache.register_dataset(_dataset(name, size))
    add_results(cache, benchmark_runs())
    cache.close()
    return server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceServer]:
    server = _serve(tmp_path_factory, slots=1)
    yield server
    server.stop(grace=0.5)


@pytest.fixture(scope="module")
def server4(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceServer]:
    server = _serve(tmp_path_factory, slots=4)
    yield server
    server.stop(grace=0.5)


@pytest.mark.parametrize("case", sorted(p.stem for p in CASES.glob("*.sql")))
def test_explain_matches_golden(request: pytest.FixtureRequest, case: str) -> None:
    script = (CASES / f"{case}.sql").read_text()
    four = script.startswith("-- devices: 4\n")
    server: ServiceServer = request.getfixturevalue("server4" if four else "server")
    with grpc.insecure_channel(server.address) as channel:
        stub = query_pb2_grpc.QueryServiceStub(channel)
        reply = stub.Explain(query_pb2.ExplainRequest(script=script), timeout=30)
    text = "\n\n".join(plan.text for plan in reply.plans) + "\n"
    golden = CASES / f"{case}.plan"
    if REGEN or not golden.exists():
        golden.write_text(text)
    assert text == golden.read_text()


def test_auto_picks_halving_only_where_it_pays(server: ServiceServer) -> None:
    def decision(train: str, test: str) -> str:
        script = (
            f'EXPLAIN SELECT * FROM text_models ORDER BY err TRAINED ON "{train}" '
            f'TESTED ON "{test}" CLASSIFIED BY ["Euclidean NN"];'
        )
        with grpc.insecure_channel(server.address) as channel:
            stub = query_pb2_grpc.QueryServiceStub(channel)
            (plan,) = stub.Explain(query_pb2.ExplainRequest(script=script), timeout=30).plans
        return plan.decisions["successive_halving"]

    # SST-2 (N_tr ≫ N_te, 65 models): SH's 134 tasks load a model 69 times more than the full
    # pass's 65 tasks do; at this pool's speed (16–53 µs a sample, 2 s a load) that outweighs
    # the embedding SH saves. On a device as slow as the paper's, SH pays:
    # test_costmodel.test_sh_chosen_for_sst2_with_the_papers_costs.
    assert decision("sst2-train", "sst2-test") == "false"
    assert decision("vtab-train", "vtab-test") == "false"  # tiny: overheads dominate
