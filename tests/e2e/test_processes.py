"""All four services as separate OS processes over loopback, with a real redis-server (the
cache's store, and the work queue planner and executor meet on): register a model and a
dataset with the CLI, run a query, get the answer; then stop the
planner and check the CLI reports UNAVAILABLE in one line naming the address. The planner
parses through the parser process (`--parser`): its syntax errors come back as the parser gave
them, and with the parser stopped a query is UNAVAILABLE naming the parser."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shift_search.parser import ParseErrors, parse
from tests.tiny_world import make_tiny_bert, write_reviews

LISTENING = re.compile(r"listening on (\S+)")


class Service:
    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shift_search.cli.main", "serve", name, "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = LISTENING.search(line)
        if match is None:
            self.process.kill()
            raise AssertionError(f"{name} did not start: {line!r}\n{log.read_text()}")
        self.address = match.group(1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shift_search.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture
def cluster(redis_url: str, tmp_path: Path) -> Iterator[dict[str, Service]]:
    env = {**os.environ, "SHIFT_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"}
    services: dict[str, Service] = {}
    try:
        services["cache"] = Service("cache", ["--store", redis_url], env, tmp_path / "cache.log")
        cache = services["cache"].address
        services["parser"] = Service("parser", [], env, tmp_path / "parser.log")
        services["executor"] = Service(
            "executor",
            ["--cache", cache, "--queue", redis_url, "--device", "cpu"],
            env,
            tmp_path / "executor.log",
        )
        services["planner"] = Service(
            "planner",
            [
                "--cache",
                cache,
                "--queue",
                redis_url,
                "--parser",
                services["parser"].address,
            ],
            env,
            tmp_path / "planner.log",
        )
        yield services
    finally:
        for service in services.values():
            service.stop()


def test_four_processes_answer_a_task_aware_query(
    cluster: dict[str, Service], tmp_path: Path
) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    make_tiny_bert(tmp_path / "bert")
    write_reviews(tmp_path / "train.csv", 60, seed=0)
    write_reviews(tmp_path / "test.csv", 20, seed=1)
    (tmp_path / "catalog.yaml").write_text(
        f"""
models:
  - name: tiny-bert
    source: huggingface
    uri: {tmp_path / "bert"}
    num_params: 40000
datasets:
  - name: train
    uri: {tmp_path / "train.csv"}
    format: csv
  - name: test
    uri: {tmp_path / "test.csv"}
    format: csv
"""
    )
    planner = cluster["planner"].address
    registered = cli(env, "register", "-f", str(tmp_path / "catalog.yaml"), "--server", planner)
    assert registered.returncode == 0, registered.stderr
    assert 'registered model "tiny-bert"' in registered.stdout
    assert 'registered dataset "train"' in registered.stdout

    listed = cli(env, "query", "SELECT * FROM models LIMIT 3;", "--server", planner)
    assert listed.returncode == 0, listed.stderr
    assert "tiny-bert" in listed.stdout

    ranked = cli(
        env,
        "query",
        "--json",
        "--server",
        planner,
        'SELECT name FROM models ORDER BY err ASC TRAINED ON "train" TESTED ON "test" '
        'CLASSIFIED BY ["Cosine NN"] WAIT;',
    )
    assert ranked.returncode == 0, ranked.stderr
    assert '"name": "tiny-bert"' in ranked.stdout and '"proxy": "Cosine NN"' in ranked.stdout


def test_stopped_service_gives_one_line_unavailable(cluster: dict[str, Service]) -> None:
    planner, cache = cluster["planner"], cluster["cache"]
    cache.stop()  # the planner answers, naming the part that is missing and its address
    result = cli(dict(os.environ), "query", "SELECT * FROM models;", "--server", planner.address)
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"shift: UNAVAILABLE: cache: cannot reach the cache service at {cache.address}"
    ), result.stderr
    planner.stop()
    result = cli(dict(os.environ), "query", "SELECT * FROM models;", "--server", planner.address)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("shift: UNAVAILABLE:") and planner.address in lines[0]
    assert "Traceback" not in result.stderr


def test_the_planner_parses_through_the_parser_service(cluster: dict[str, Service]) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    planner, parser = cluster["planner"].address, cluster["parser"].address
    script = "SELECT * FRM models;\nSELECT * FROM models LIMT 3;"
    through = cli(env, "query", script, "--server", planner)
    with pytest.raises(ParseErrors) as local:  # the same text parsed in this process
        parse(script)
    assert through.returncode == 1
    assert through.stderr == f"shift: INVALID_ARGUMENT: {local.value.message}\n"
    assert "<query>:2:" in through.stderr and "^" in through.stderr
    cluster["parser"].stop()
    stopped = cli(env, "query", "SELECT * FROM models;", "--server", planner)
    assert stopped.returncode == 1
    assert stopped.stderr.startswith("shift: UNAVAILABLE:") and parser in stopped.stderr
