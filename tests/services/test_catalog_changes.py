"""Changing the catalog through a real in-process server: REGISTER MODEL checks the record and
loads the model once on an executor (its costs measured, kept when it is registered again
unchanged), DROP unregisters (NOT_FOUND with suggestions, IF EXISTS), a session variable that
holds a dropped model fails at its next use, and the CLI (`shift register benchmark-results`,
`shift unregister`) runs as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shift_search.client import Client, QueryError
from tests.services.conftest import Stack


def query(stack: Stack, script: str, session: str = "") -> Any:
    with Client(stack.address, session_id=session) as client:
        return client.query(script, progress=False)


def failure(stack: Stack, script: str, session: str = "") -> QueryError:
    with pytest.raises(QueryError) as err:
        query(stack, script, session)
    return err.value


def model_row(stack: Stack, name: str) -> dict[str, Any] | None:
    rows = query(
        stack,
        "SELECT name, revision, num_params, inference_cost, load_cost "
        f"FROM models WHERE name = '{name}';",
    ).records()
    return rows[0] if rows else None


def test_registration_refuses_a_model_it_cannot_load(stack: Stack, tmp_path: Path) -> None:
    err = failure(stack, 'REGISTER MODEL "bert" (uri) VALUES ("/models/bert");')
    assert err.code.name == "NOT_FOUND"
    assert "uri=/models/bert" in err.message and "/models/bert does not exist" in err.message
    err = failure(stack, f'REGISTER MODEL "bert" (uri, modality) VALUES ("{tmp_path}", "image");')
    assert "modality=image" in err.message
    assert model_row(stack, "bert") is None  # nothing registered


@pytest.mark.parametrize(
    ("column", "value"),
    [("source", "tensorflow"), ("modality", "audio"), ("pooling", "max")],
)
def test_registration_names_a_bad_field(stack: Stack, world: Path, column: str, value: str) -> None:
    uri = world / "bert-a"
    err = failure(stack, f'REGISTER MODEL "bad" (uri, {column}) VALUES ("{uri}", "{value}");')
    assert err.code.name == "INVALID_ARGUMENT"
    assert f"unknown {column} {value!r}" in err.message
    assert model_row(stack, "bad") is None


def test_registering_profiles_once_and_keeps_costs_for_the_same_model(
    stack: Stack, world: Path
) -> None:
    uri = world / "bert-b"
    notes = query(stack, f'REGISTER MODEL "again" (uri) VALUES ("{uri}");').messages
    assert any("loaded and profiled on cpu" in n for n in notes)
    first = model_row(stack, "again")
    assert first is not None and first["inference_cost"] > 0 and first["load_cost"] >= 0
    where = query(stack, "SELECT profiled_on FROM models WHERE name = 'again';").records()
    assert where == [{"profiled_on": "cpu"}]
    # metadata changes: nothing loaded again, the measured costs stay
    notes = query(stack, f'REGISTER MODEL "again" (uri, up_acc) VALUES ("{uri}", 0.5);').messages
    assert any("measured costs kept" in n for n in notes)
    kept = model_row(stack, "again")
    assert kept is not None
    assert (kept["inference_cost"], kept["load_cost"]) == (
        first["inference_cost"],
        first["load_cost"],
    )
    # an output field changes (the revision): another model, profiled again
    notes = query(stack, f'REGISTER MODEL "again" (uri, revision) VALUES ("{uri}", "v2");').messages
    assert any("loaded and profiled" in n for n in notes)
    changed = model_row(stack, "again")
    assert changed is not None and changed["revision"] == "v2" and changed["inference_cost"] > 0
    query(stack, 'DROP MODEL "again";')


def test_drop_unregisters_and_says_what_is_near(stack: Stack, world: Path) -> None:
    query(stack, f'REGISTER MODEL "doomed" (uri) VALUES ("{world / "bert-a"}");')
    notes = query(stack, 'DROP MODEL "doomed";').messages
    assert notes == ('dropped model "doomed" (its cached features and results stay until PURGE '
                     "or eviction)",)  # fmt: skip
    assert model_row(stack, "doomed") is None
    err = failure(stack, "DROP MODEL bert_a;")
    assert err.code.name == "NOT_FOUND" and "bert-a" in err.suggestions
    assert query(stack, "DROP MODEL IF EXISTS doomed;").messages == (
        'no model "doomed": nothing dropped (IF EXISTS)',
    )
    err = failure(stack, 'DROP DATASET "reviews-tset";')
    assert err.code.name == "NOT_FOUND" and "reviews-test" in err.suggestions


def test_a_variable_holding_a_dropped_model_fails_at_its_next_use(
    stack: Stack, world: Path
) -> None:
    query(stack, f'REGISTER MODEL "fleeting" (uri) VALUES ("{world / "bert-b"}");')
    session = "dropped-variable"
    query(stack, "DECLARE mine AS SELECT * FROM models WHERE name = 'fleeting';", session)
    query(stack, 'DROP MODEL "fleeting";')
    err = failure(stack, "SELECT name FROM mine;", session)
    assert err.code.name == "NOT_FOUND"
    assert "variable 'mine' holds model \"fleeting\", which is no longer registered" in err.message
    err = failure(stack, 'FINETUNE mine WITH "reviews-train";', session)
    assert "no longer registered" in err.message


def shift(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "shift_search.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_cli_loads_benchmark_results_and_unregisters(
    stack: Stack, world: Path, tmp_path: Path
) -> None:
    server = ["--server", stack.address]
    runs = tmp_path / "runs.csv"
    runs.write_text(
        "hash,model_identifier,framework,train_dataset_name,epochs,configs,test_accuracy\n"
        "1,org/a,HuggingFaceText,glue/cola,25,{'lr': 0.01},0.7\n"
        "2,org/b,HuggingFaceText,glue/cola,25,{'lr': 0.01},0.8\n"
    )
    loaded = shift("register", "benchmark-results", str(runs), *server)
    assert loaded.returncode == 0, loaded.stderr
    assert "2 runs; 2 added, 0 replaced, 0 already stored" in loaded.stdout
    again = shift("register", "benchmark-results", str(runs), *server)
    assert "2 runs; 0 added, 0 replaced, 2 already stored" in again.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text(runs.read_text() + "3,org/c,HuggingFaceText,glue/cola,25,{'lr': 0.01},high\n")
    refused = shift("register", "benchmark-results", str(bad), *server)
    assert refused.returncode == 1
    assert f"INVALID_ARGUMENT: {bad}:4:7: test_accuracy 'high'" in refused.stderr
    rows = query(stack, "SELECT count(*) AS n FROM benchmark_results;").records()
    assert rows == [{"n": 2}]  # nothing of the bad file

    model = ["register", "model", "cli-bert", "--set", f"uri={world / 'bert-a'}", *server]
    unsourced = shift(*model)
    assert unsourced.returncode == 1
    assert "model 'cli-bert': give --set source=… (source: one of huggingface" in unsourced.stderr
    registered = shift(*model, "--set", "source=huggingface")
    assert registered.returncode == 0, registered.stderr
    assert 'registered model "cli-bert" (loaded and profiled on cpu' in registered.stdout
    dropped = shift("unregister", "model", "cli-bert", *server)
    assert dropped.returncode == 0 and 'dropped model "cli-bert"' in dropped.stdout
    missing = shift("unregister", "model", "cli-bert", *server)
    assert missing.returncode == 1 and 'NOT_FOUND: unknown model "cli-bert"' in missing.stderr
    quiet = shift("unregister", "model", "cli-bert", "--if-exists", *server)
    assert quiet.returncode == 0 and "nothing dropped" in quiet.stdout
