"""EXPLAIN shows what runs: for every statement of the golden EXPLAIN set (tests/planner/explain),
run against an executable catalog — tiny random models with fixed registered costs under the
golden names, small real datasets — the steps the coordinator executes are exactly the steps
EXPLAIN returned for the same statement in the same state, and the plan it announces is the plan
EXPLAIN showed. Statements run one by one in a session (each EXPLAINed just before it runs), so
variables, cached results and registered models carry over as they would in the script."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import grpc
import pytest

from shift_search.cache.benchmark_results import add_results
from shift_search.cache.client import CacheClient
from shift_search.cache.records import ModelRecord
from shift_search.cli.serve import build
from shift_search.parser import ast, format_statement, parse
from shift_search.planner import coordinator
from shift_search.planner.convert import plan_proto_json
from shift_search.proto.v1 import query_pb2, query_pb2_grpc
from shift_search.runtime.server import ServiceServer
from shift_search.runtime.values import value_from_proto
from tests.planner.benchmark_world import TARGET_TAGS, benchmark_runs
from tests.planner.plan_view import walk
from tests.query_stream import events_of
from tests.services.conftest import serve_args
from tests.tiny_world import make_tiny_bert, register_datasets, reviews_dataset, write_reviews

CASES = Path(__file__).parent / "explain"
TEXT_MODELS = 6
DATASETS = {  # name: (rows, seed); the golden catalog's names, at a size that runs in seconds
    "sst2-train": (160, 0),
    "sst2-test": (24, 1),
    "cola-train": (120, 2),
    "cola-test": (24, 3),
    "vtab-train": (80, 4),
    "vtab-test": (20, 5),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("executable")
    for seed in range(2):
        make_tiny_bert(root / f"bert-{seed}", seed=seed, layers=1 + seed)
    for name, (rows, seed) in DATASETS.items():
        write_reviews(root / f"{name}.csv", rows, seed=seed, noise=0.2)
    return root


def models(world: Path) -> list[ModelRecord]:
    """The golden catalog's models, runnable: text-NN are tiny BERTs with fixed costs; the image
    models are only ever read as metadata."""
    out = [
        ModelRecord(
            name=f"text-{i:02d}",
            source="huggingface",
            uri=str(world / f"bert-{i % 2}"),
            num_params=(i + 1) * 1_000_000,
            upstream_accuracy=None if i % 5 else 0.5 + i / 200,
            inference_cost=106.0 if i % 2 else 32.0,  # as if large: AUTO picks SH on small data
            load_cost=2.0,
        )
        for i in range(TEXT_MODELS)
    ]
    out.append(
        ModelRecord(
            name="image-0",
            source="efficientnet",
            uri="efficientnet-lite0",
            modality="image",
            num_params=5_000_000,
            upstream_accuracy=0.75,
            inference_cost=0.02,
            load_cost=1.0,
        )
    )
    return out


def serve(world: Path, folder: Path, slots: int) -> ServiceServer:
    server = build(serve_args(f"sqlite:///{folder / 'store.sqlite3'}", slots=slots)).start()
    cache = CacheClient(server.internal_address)
    for model in models(world):
        cache.register_model(model)
    add_results(cache, benchmark_runs())
    cache.close()
    register_datasets(
        server.address,
        *(
            replace(reviews_dataset(n, world / f"{n}.csv"), tags=TARGET_TAGS.get(n, {}))
            for n in DATASETS
        ),
    )
    return server


@pytest.fixture(scope="module")
def servers(
    world: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[int, ServiceServer]]:
    running: dict[int, ServiceServer] = {}
    try:
        for slots in (1, 4):
            running[slots] = serve(world, tmp_path_factory.mktemp(f"slots{slots}"), slots)
        yield running
    finally:
        for server in running.values():
            server.stop(grace=0.5)


def statements(case: str) -> list[str]:
    """The case's statements as text; an EXPLAIN statement stands for the query it explains."""
    out = []
    for stmt in parse((CASES / f"{case}.sql").read_text()).statements:
        target = stmt.query if isinstance(stmt, ast.Explain) else stmt
        out.append(format_statement(target) + ";")
    return out


def steps_json(plan: query_pb2.Plan) -> list[dict[str, Any]]:
    return list(plan_proto_json(plan)["steps"])


EXPECTED = {  # a step each case must have executed, so the set covers every strategy
    # (q2_sst2_auto, change_mutation: AO's choice, full pass or SH, depends on the costs the
    # tiny models were profiled at and on what earlier cases left cached)
    "auto": "strategy_choice",
    "auto_budget": "strategy_choice",
    "benchmark": "aggregate",
    "cascade": "cascade_stage",
    "cascade_hybrid_finetune": "finetune_round",
    "finetune_ranking": "finetune_round",
    "q1_task_agnostic": "metadata_scan",
    "q2_vtab_no_halving": "full_pass",
    "q3_linear_fixed_chunk": "halving_round",
    "q4_paper_hybrid": "variable_read",
    "rank_by_scorer": "scorer_score",
    "meta_learned": "meta_shortlist",
    "meta_task2vec": "task_embedding",
    "several_proxies": "proxy_score",
    "similarity": "task_embedding",
}


ANSWERED_FROM_THE_CACHE = {
    "benchmark",
    "q2_sst2_auto",
    "q2_vtab_no_halving",
    "change_mutation",
    "rank_by_scorer",
    "similarity",
    "meta_learned",
    "meta_task2vec",
}
"""Cases whose proxies are written with every parameter (1-NN), and scorers and Task2Vec (sent
with every parameter), so a stored result is known to be theirs: run again, their plans read
every result from the cache."""


def undecided(plan: query_pb2.Plan) -> bool:
    """An AUTO plan whose strategy waits for its evidence (`coordinator._decided`), or a
    MetaLearned whose shortlist waits for Task2Vec embeddings (`coordinator._embedded`)."""
    return any(
        (s.kind == "strategy_choice" and value_from_proto(s.fields["chosen"]) is None)
        or (s.kind == "meta_shortlist" and value_from_proto(s.fields["decided"]) is False)
        for s in walk(plan)
    )


def awaits_embeddings(plan: query_pb2.Plan) -> bool:
    """A MetaLearned plan whose shortlist waits for Task2Vec embeddings."""
    return any(
        s.kind == "meta_shortlist" and value_from_proto(s.fields["decided"]) is False
        for s in walk(plan)
    )


def shape(plan: query_pb2.Plan) -> list[tuple[str, Any]]:
    """A plan's steps down to its searches (whose insides tell what the cache holds), and what
    a meta-learned plan decided."""
    return [
        (s.kind, value_from_proto(s.fields["chosen"]) if s.kind == "meta_shortlist" else "")
        for root in plan.steps
        for s in (root, *root.children)
    ]


def run_statement(
    stub: query_pb2_grpc.QueryServiceStub, text: str, session: str
) -> list[query_pb2.PlanStep]:
    """EXPLAIN a statement, then run it: the steps executed are the steps explained. AUTO
    before its evidence is in runs the evidence, then the plan made from it (announced), whose
    steps are the steps executed; EXPLAIN shows that very plan once the evidence is cached.
    So does MetaLearned with Task2Vec similarity before its embeddings are cached."""
    request = query_pb2.ExplainRequest(script=text, session_id=session)
    explained = list(stub.Explain(request, timeout=60).plans)
    execute = query_pb2.ExecuteRequest(script=text, session_id=session)
    events = events_of(stub.Execute(execute, timeout=600))
    (finished,) = [e.finished for e in events if e.WhichOneof("event") == "finished"]
    announced = [e.planned for e in events if e.WhichOneof("event") == "planned"]
    if any(undecided(p) for p in explained):
        assert not any(undecided(p) for p in announced), text
        decided = list(stub.Explain(request, timeout=60).plans)
        if any(awaits_embeddings(p) for p in explained):  # its search ran too: now cached
            assert [shape(p) for p in decided] == [shape(p) for p in announced]
        else:
            assert [steps_json(p) for p in decided] == [steps_json(p) for p in announced]
        explained = announced
    steps = [s for plan in explained for s in walk(plan)]
    expected = [s.id for s in steps]
    assert sorted(finished.executed_steps, key=int) == sorted(expected, key=int), text
    if announced:  # a plan with executor work is announced: the very plan explained
        assert [steps_json(p) for p in announced] == [steps_json(p) for p in explained]
    return steps


@pytest.mark.parametrize("case", sorted(p.stem for p in CASES.glob("*.sql")))
def test_the_steps_executed_are_the_steps_explained(
    servers: dict[int, ServiceServer], case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coordinator, "NO_WAIT_SECONDS", 600.0)  # every statement runs to its end
    four = (CASES / f"{case}.sql").read_text().startswith("-- devices: 4\n")
    server = servers[4 if four else 1]
    session = f"executed-{case}"
    texts = statements(case)
    with grpc.insecure_channel(server.address) as channel:
        stub = query_pb2_grpc.QueryServiceStub(channel)
        ran = [s for text in texts for s in run_statement(stub, text, session)]
        # again, now that the cache holds their results: the plans read them instead
        again = [s for t in texts if "FINETUNE" not in t for s in run_statement(stub, t, session)]
    assert EXPECTED.get(case, "rank") in [s.kind for s in ran]
    if case in ANSWERED_FROM_THE_CACHE:  # nothing left for the executors: read, answer
        work = ("rank", "meta_learned", "benchmark", "full_pass", "halving", "halving_round")
        work += ("proxy_score", "rank_by_scorer", "scorer_pass", "dataset_similarity")
        work += ("task_embedding",)
        assert all(s.cached for s in again if s.kind in work)


def test_profiling_runs_first_and_the_rest_is_planned_with_measured_costs(
    world: Path, tmp_path: Path
) -> None:
    server = build(serve_args(f"sqlite:///{tmp_path / 'store.sqlite3'}")).start()
    try:
        cache = CacheClient(server.internal_address)
        for name in ("fresh-a", "fresh-b"):  # no costs: never profiled
            cache.register_model(
                ModelRecord(name=name, source="huggingface", uri=str(world / "bert-0"))
            )
        cache.close()
        register_datasets(
            server.address, *(reviews_dataset(n, world / f"{n}.csv") for n in DATASETS)
        )
        text = """SELECT name FROM models ORDER BY err TRAINED ON "vtab-train"
            TESTED ON "vtab-test" CLASSIFIED BY ["Euclidean NN"] WAIT;"""
        with grpc.insecure_channel(server.address) as channel:
            stub = query_pb2_grpc.QueryServiceStub(channel)
            (explained,) = stub.Explain(query_pb2.ExplainRequest(script=text), timeout=60).plans
            events = events_of(stub.Execute(query_pb2.ExecuteRequest(script=text), timeout=600))
            (again,) = stub.Explain(query_pb2.ExplainRequest(script=text), timeout=60).plans
    finally:
        server.stop(grace=0.5)
    assert [s.kind for s in explained.steps[0].children][:2] == ["metadata_scan", "profile"]
    assert explained.decisions["costs"] == "defaults for 2 model(s) not yet profiled"
    (planned,) = [e.planned for e in events if e.WhichOneof("event") == "planned"]
    assert planned.decisions["costs"] == "measured"  # planned once more, with measured costs
    (profile,) = [s for s in walk(planned) if s.kind == "profile"]  # and it says it profiled
    (finished,) = [e.finished for e in events if e.WhichOneof("event") == "finished"]
    assert sorted(finished.executed_steps, key=int) == [s.id for s in walk(planned)]
    assert profile.id in finished.executed_steps
    assert not [s for s in walk(again) if s.kind == "profile"]  # costs are in the catalog now
