"""EXPLAIN and EXPLAIN ANALYZE end to end on tiny real models: measured seconds on every step
(with and without successive halving), the current top-k during a full-data search, cached work
read rather than computed, and scripts whose EXPLAIN reads variables they declare."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from shift_search.cache.client import CacheClient
from shift_search.cache.records import ModelRecord
from shift_search.cli.serve import build
from shift_search.proto.v1 import query_pb2, query_pb2_grpc
from shift_search.runtime.server import ServiceServer
from tests.planner.plan_view import of_kind as steps_of_kind
from tests.planner.plan_view import walk
from tests.query_stream import events_of
from tests.services.conftest import serve_args
from tests.tiny_world import make_tiny_bert, register_datasets, reviews_dataset, write_reviews


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceServer]:
    root = tmp_path_factory.mktemp("analyze")
    server = build(serve_args(f"sqlite:///{root / 'store.sqlite3'}")).start()
    cache = CacheClient(server.internal_address)
    for i in range(3):
        make_tiny_bert(root / f"m{i}", seed=i, layers=1 + i % 2)
        cache.register_model(
            ModelRecord(
                name=f"m{i}",
                source="huggingface",
                uri=str(root / f"m{i}"),
                upstream_accuracy=0.5 + i / 10,
            )
        )
    for name, rows, seed in (
        ("train", 240, 0),
        ("test", 40, 1),
        ("train2", 120, 2),
        ("test2", 30, 3),
        ("train3", 240, 4),
        ("test3", 40, 5),
        ("ctrain", 120, 6),  # only the CHANGE and list test reads these
        ("ctest", 30, 7),
        ("cextra", 60, 8),
        ("atrain", 120, 9),  # only the AUTO test reads these
        ("atest", 30, 10),
    ):
        write_reviews(root / f"{name}.csv", rows, seed=seed)
        register_datasets(server.address, reviews_dataset(name, str(root / f"{name}.csv")))
    cache.close()
    yield server
    server.stop(grace=0.5)


def execute(server: ServiceServer, script: str, session: str = "") -> list[query_pb2.QueryEvent]:
    with grpc.insecure_channel(server.address) as channel:
        stub = query_pb2_grpc.QueryServiceStub(channel)
        request = query_pb2.ExecuteRequest(script=script, session_id=session)
        return events_of(stub.Execute(request, timeout=300))


def explain(server: ServiceServer, script: str, session: str = "") -> list[query_pb2.Plan]:
    with grpc.insecure_channel(server.address) as channel:
        stub = query_pb2_grpc.QueryServiceStub(channel)
        request = query_pb2.ExplainRequest(script=script, session_id=session)
        return list(stub.Explain(request, timeout=60).plans)


def of_kind(events: list[query_pb2.QueryEvent], kind: str) -> list[query_pb2.QueryEvent]:
    return [e for e in events if e.WhichOneof("event") == kind]


def test_analyze_without_halving_measures_every_step(server: ServiceServer) -> None:
    # two models: their one halving round would take all the data, so AUTO runs a full pass
    events = execute(
        server,
        """explain analyze select name from models where name != "m2" order by err
        trained on "train" tested on "test" classified by ["Cosine NN"];""",
    )
    analyzed = of_kind(events, "planned")[-1].planned
    assert analyzed.decisions["successive_halving"] == "false"
    (full,) = steps_of_kind(analyzed, "full_pass")
    names = [s.name for s in full.children]
    assert names == ["task overhead", "load models", "embed train", "embed test", "proxy"]
    assert all(s.estimated_seconds > 0 and s.measured_seconds > 0 for s in full.children)
    assert full.measured_seconds == pytest.approx(sum(s.measured_seconds for s in full.children))
    assert all(s.HasField("measured") for s in walk(analyzed))  # every step ran
    total = sum(s.measured_seconds for s in analyzed.steps)
    assert analyzed.measured_seconds == pytest.approx(total) and total >= full.measured_seconds
    assert "measured" in analyzed.decisions and "executor time" in analyzed.decisions


def test_analyze_with_halving_measures_every_round(server: ServiceServer) -> None:
    # train3 / test3: nothing else embeds them, so every step has work to measure.
    events = execute(
        server,
        """explain analyze select name from models order by err trained on "train3"
        tested on "test3" classified by ["Euclidean NN"] chunk 30 budget 6;""",
    )
    analyzed = of_kind(events, "planned")[-1].planned
    (halving,) = steps_of_kind(analyzed, "halving")
    assert [s.name for s in halving.children] == ["embed test", "round 0", "round 1"]
    assert all(s.measured_seconds > 0 for s in halving.children)
    for round_ in halving.children[1:]:
        assert [s.name for s in round_.children] == ["embed train", "score"]
        assert round_.measured.rows == round_.fields["survivors"].int_value  # models scored


def test_analyze_measures_each_proxy_of_several(server: ServiceServer) -> None:
    events = execute(
        server,
        """explain analyze select name from models order by err trained on "train2"
        tested on "test" classified by ["Cosine NN", "Euclidean NN"];""",
    )
    analyzed = of_kind(events, "planned")[-1].planned
    passes = steps_of_kind(analyzed, "full_pass")
    assert [p.fields["proxy"].string_value for p in passes] == ["Cosine NN", "Euclidean NN"]
    for full in passes:
        assert len(full.children) == 5 and sum(s.measured_seconds for s in full.children) > 0


def test_analyze_of_auto_sets_the_evidence_estimate_beside_its_measurement(
    server: ServiceServer,
) -> None:
    # once the evidence is in, a fresh plan would price it as cache reads (0 s): ANALYZE shows
    # what the evidence was expected to cost before it ran, beside what it cost
    query = """select name from models order by Auto(budget=1)
        trained on "atrain" tested on "atest";"""
    analyzed = of_kind(execute(server, f"explain analyze {query}"), "planned")[-1].planned
    (auto,) = steps_of_kind(analyzed, "auto")
    evidence = [c for c in auto.children if c.kind == "full_pass"]
    assert len(evidence) == 2  # Cosine NN, then LogME
    assert all(c.estimated_seconds > 0 and c.measured_seconds > 0 for c in evidence)
    assert auto.estimated_seconds >= sum(c.estimated_seconds for c in evidence)
    (afterwards,) = explain(server, query)  # now the evidence is read from the cache
    cached = [c for c in walk(afterwards) if c.kind == "full_pass"]
    assert len(cached) == 2 and all(c.estimated_seconds == 0 for c in cached)


def test_full_data_search_sends_the_current_top_k(server: ServiceServer) -> None:
    events = execute(
        server,
        """select name from models order by err trained on "train"
        tested on "test" classified by [kNN(k=3)] wait;""",
    )
    assert of_kind(events, "planned")[0].planned.decisions["successive_halving"] == "false"
    leaders = [e.top_k for e in of_kind(events, "top_k")]
    sizes = [len(t.models) for t in leaders]  # as results arrive (two arriving together: one)
    assert sizes == sorted(set(sizes)) and sizes[-1] == 3
    (table,) = [e.result for e in of_kind(events, "result")]
    ranking = [row.cells[0].string_value for row in table.rows]
    assert list(leaders[-1].models) == ranking
    assert list(leaders[-1].errors) == sorted(leaders[-1].errors)


def test_explain_after_a_run_prices_cached_work_at_nothing(server: ServiceServer) -> None:
    query = """select name from models order by err trained on "train2" tested on "test2"
        classified by ["Euclidean NN"]"""
    # (test2: no other test scores this search)
    (before,) = explain(server, query + ";")
    assert before.estimated_seconds > 0
    assert before.decisions.get("cached", "results of 0").startswith("results of 0")
    execute(server, query + " wait;")
    (after,) = explain(server, query + ";")
    assert after.estimated_seconds == 0.0
    assert after.decisions["cached"].startswith("results of 3 of 3 models, features of 3")
    (other,) = explain(server, query.replace("Euclidean NN", "Cosine NN") + ";")
    by_name = {s.name: s for s in walk(other)}
    assert by_name["load models"].estimated_seconds == 0.0
    assert by_name["embed train"].cached and by_name["embed test"].cached  # read, not embedded
    assert other.estimated_seconds > 0  # its tasks, reading the features and the proxy


def test_explain_binds_the_variables_a_script_declares(server: ServiceServer) -> None:
    plans = explain(
        server,
        """Q1 := SELECT name FROM models ORDER BY upstream_accuracy DESC LIMIT 1;
        Q4 := Q1 UNION SELECT name FROM models WHERE name NOT IN Q1
              ORDER BY EuclideanNN ASC LIMIT 1 TESTED ON "test" TRAINED ON "train";
        PRINT Q4;
        SELECT name FROM models WHERE name IN Q4 ORDER BY name;""",
        session="explained",
    )
    declared, hybrid, reader = plans
    assert declared.decisions["declares"] == "Q1 := 1 models (exact, no GPU work run)"
    assert hybrid.decisions["right.models"] == "2"  # NOT IN Q1 left out the top model
    assert hybrid.decisions["declares"].startswith("Q4 := 2 models (stand-in")
    assert "Q4" in reader.decisions["stand-ins"]
    assert reader.steps[0].detail.startswith("2 of 3 models")
    printed = execute(server, "PRINT *;", session="explained")
    assert not of_kind(printed, "result")[0].result.rows  # EXPLAIN declared nothing


@pytest.mark.parametrize(
    "train", ['("ctrain" CHANGE [0, 1, 2] TO "cextra" [5, 6, 7])', '["ctrain", "cextra"]']
)
def test_changed_and_listed_data_priced_as_cached_once_run(
    server: ServiceServer, train: str
) -> None:
    query = f"""select name from models order by err trained on {train} tested on "ctest"
        classified by ["Euclidean NN"]"""
    (before,) = explain(server, query + ";")
    assert before.estimated_seconds > 0
    execute(server, query + " wait;")
    (after,) = explain(server, query + ";")
    assert after.estimated_seconds == 0.0
    assert after.decisions["cached"].startswith("results of 3 of 3 models")
