"""The executor as a real gRPC server (with a real cache service on SQLite), through its stubs."""

from __future__ import annotations

import csv
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
import torch
import transformers

from shift_search.cache import keys
from shift_search.cache.client import CacheClient
from shift_search.cache.convert import dataset_from_proto, dataset_to_proto
from shift_search.cache.records import DatasetRecord, ModelRecord, SegmentRecord
from shift_search.cache.service import registration as cache_registration
from shift_search.cache.stores import open_store
from shift_search.executor.datasets.token_length import mean_tokens
from shift_search.executor.encoders.encoder import Encoder
from shift_search.executor.features.extract import extract_features
from shift_search.executor.loaders.huggingface import load_huggingface
from shift_search.executor.loaders.options import LoadOptions
from shift_search.executor.loaders.registry import register_loader
from shift_search.executor.service import registration as executor_registration
from shift_search.executor.worker import Executor
from shift_search.proto.v1 import executor_pb2, executor_pb2_grpc
from shift_search.queue.memory import InProcessQueue
from shift_search.runtime.errors import NotFound, Unavailable
from shift_search.runtime.server import ServiceServer
from shift_search.tasks.convert import task_id, task_to_proto
from shift_search.tasks.results import Capacity, EmbedResult, TaskProgress, TaskResult
from shift_search.tasks.specs import EmbedTask, FinetuneTask, ProxySpec, ScoreTask, Selection, Task

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
GOOD = ["good", "great", "fine", "nice"]
BAD = ["bad", "awful", "poor", "sad"]
OTHER = ["the", "film", "was", "very", "a", "plot"]
GATED = "gated-test"  # the model source whose encoder blocks until the test releases it
WAIT = 30.0  # seconds: only reached when something is broken


@dataclass
class Gate:
    """Holds the first forward pass of a gated encoder until released."""

    entered: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)


class GatedEncoder:
    """A real encoder whose forward pass waits at the gate (so a task stays running)."""

    def __init__(self, inner: Any, gate: Gate) -> None:
        self.inner, self.gate = inner, gate
        self.modality, self.dimension, self.device = inner.modality, inner.dimension, inner.device

    def prepare(self, inputs: Sequence[Any]) -> dict[str, torch.Tensor]:
        return dict(self.inner.prepare(inputs))

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        self.gate.entered.set()
        assert self.gate.released.wait(WAIT), "the test never released the gate"
        return torch.as_tensor(self.inner.forward(batch))

    def trainable(self) -> torch.nn.Module:
        return self.inner.trainable()

    def embed(self, inputs: Sequence[Any], batch_size: int = 64) -> Any:
        return extract_features(self, inputs, batch_size=batch_size)


@dataclass(frozen=True)
class Services:
    """A running cache and executor, and how to call them."""

    executor: executor_pb2_grpc.ExecutorServiceStub
    cache: CacheClient


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer, 32-wide BERT over a small vocabulary."""
    folder = tmp_path_factory.mktemp("tiny_bert")
    (folder / "vocab.txt").write_text("\n".join(SPECIALS + GOOD + BAD + OTHER) + "\n")
    config = transformers.BertConfig(
        vocab_size=len(SPECIALS + GOOD + BAD + OTHER),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(folder)
    transformers.BertTokenizer(vocab=str(folder / "vocab.txt")).save_pretrained(folder)
    return folder


def write_csv(path: Path, rows: int, offset: int = 0) -> Path:
    """`rows` short reviews whose label follows their sentiment words."""
    lines = ["text,label"]
    for i in range(offset, offset + rows):
        words = GOOD if i % 2 else BAD
        lines.append(f"the film was {words[i % 4]} {OTHER[i % 6]},{'pos' if i % 2 else 'neg'}")
    path.write_text("\n".join(lines) + "\n")
    return path


def csv_dataset(path: Path, name: str | None = None) -> DatasetRecord:
    return DatasetRecord(
        name=name or path.stem,
        uri=str(path),
        format="csv",
        input_column="text",
        label_column="label",
    )


@pytest.fixture
def data(tmp_path: Path) -> dict[str, DatasetRecord]:
    """Small CSV datasets: train (40 rows), test (12 rows)."""
    return {
        "train": csv_dataset(write_csv(tmp_path / "train.csv", 40)),
        "test": csv_dataset(write_csv(tmp_path / "test.csv", 12, offset=100)),
    }


@pytest.fixture
def model(tiny_bert: Path) -> ModelRecord:
    return ModelRecord(name="tiny-bert", source="huggingface", uri=str(tiny_bert))


@pytest.fixture
def gate(tiny_bert: Path) -> Iterator[Gate]:
    """A fresh gate; models with source GATED load the tiny BERT behind it."""
    current = Gate()

    def load(uri: str, options: LoadOptions) -> Encoder:
        return GatedEncoder(load_huggingface(uri, options), current)

    register_loader(GATED, load)
    yield current
    current.released.set()  # never leave a task blocked


@pytest.fixture
def gated_model(tiny_bert: Path) -> ModelRecord:
    return ModelRecord(name="gated-bert", source=GATED, uri=str(tiny_bert))


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    """A cache service on SQLite in tmp_path and an executor with one CPU slot."""
    cache_server = ServiceServer(port=0)
    cache_server.add(cache_registration(open_store(f"sqlite:///{tmp_path / 'cache.sqlite3'}")))
    cache_server.start()
    executor_server = ServiceServer(port=0)
    executor_server.add(
        executor_registration(cache_server.address, InProcessQueue(), slots=1, device="cpu")
    )
    executor_server.start()
    channel = grpc.insecure_channel(executor_server.address)
    cache = CacheClient(cache_server.address)
    yield Services(executor_pb2_grpc.ExecutorServiceStub(channel), cache)
    cache.close()
    channel.close()
    executor_server.stop(0)
    cache_server.stop(0)


def embed_task(
    model: ModelRecord, dataset: DatasetRecord, chunk_size: int = 16, selection: Selection = None
) -> EmbedTask:
    return EmbedTask(model, dataset, selection, chunk_size)


def score_task(
    model: ModelRecord,
    train: DatasetRecord,
    test: DatasetRecord,
    proxy: str,
    selection: Selection = None,
) -> ScoreTask:
    return ScoreTask(model, train, test, ProxySpec(proxy), selection, chunk_size=16)


def finetune_task(model: ModelRecord, train: DatasetRecord, test: DatasetRecord) -> FinetuneTask:
    params = {"epochs": 1, "batch_size": 4, "lr": 1e-3}
    return FinetuneTask(model, train, test, params, output_name="tuned-bert", register=True)


def run(svc: Services, task: Task) -> list[executor_pb2.TaskEvent]:
    return list(svc.executor.RunTask(task_to_proto(task), timeout=WAIT))


def result_of(events: Sequence[executor_pb2.TaskEvent]) -> executor_pb2.TaskResult:
    assert events and events[-1].HasField("result"), "the last event is the result"
    return events[-1].result


class Background:
    """Runs one RunTask call on a thread, keeping its events or its error."""

    def __init__(self, svc: Services, task: Task) -> None:
        self.events: list[executor_pb2.TaskEvent] = []
        self.error: grpc.RpcError | None = None
        self._thread = threading.Thread(target=self._run, args=(svc, task), daemon=True)
        self._thread.start()

    def _run(self, svc: Services, task: Task) -> None:
        try:
            self.events.extend(run(svc, task))
        except grpc.RpcError as error:
            self.error = error

    def join(self) -> None:
        self._thread.join(WAIT)
        assert not self._thread.is_alive(), "the task did not end"


def capacity(svc: Services) -> executor_pb2.GetCapacityResponse:
    return svc.executor.GetCapacity(executor_pb2.GetCapacityRequest(), timeout=WAIT)


def test_capacity_reports_slots_and_device(services: Services) -> None:
    reply = capacity(services)
    assert (reply.device, reply.slots, reply.busy) == ("cpu", 1, 0)
    assert list(reply.running_tasks) == []


def test_embed_streams_progress_then_a_result_and_is_served_from_cache_again(
    services: Services, model: ModelRecord, data: dict[str, DatasetRecord]
) -> None:
    events = run(services, embed_task(model, data["train"]))
    progress = [e.progress for e in events[:-1]]
    assert progress and all(p.stage for p in progress)
    assert all(e.HasField("progress") for e in events[:-1])
    first = result_of(events)
    assert (first.embed.samples, first.embed.dimension) == (40, 32)
    assert first.embed.chunks_computed == 3 and first.embed.chunks_cached == 0
    assert not first.from_cache
    assert len(services.cache.scan(keys.FEATURES)) == 3
    again = result_of(run(services, embed_task(model, data["train"])))
    assert (again.embed.chunks_computed, again.embed.chunks_cached) == (0, 3)
    assert again.from_cache and again.embed.samples == 40


def test_results_say_where_the_time_went(
    services: Services, model: ModelRecord, data: dict[str, DatasetRecord]
) -> None:
    computed = result_of(run(services, embed_task(model, data["test"])))
    assert set(computed.phase_seconds) == {"read", "lookup", "extract", "store"}
    assert all(s >= 0 for s in computed.phase_seconds.values())
    assert sum(computed.phase_seconds.values()) <= computed.seconds
    cached = result_of(run(services, embed_task(model, data["test"])))
    assert "extract" not in cached.phase_seconds and "lookup" in cached.phase_seconds
    linear = result_of(run(services, score_task(model, data["train"], data["test"], "linear")))
    assert "proxy" in linear.phase_seconds


@pytest.mark.parametrize("proxy", ["euclidean_nn", "linear"])
def test_score_gives_an_error_rate_and_a_rerun_comes_from_the_cache(
    services: Services, model: ModelRecord, data: dict[str, DatasetRecord], proxy: str
) -> None:
    task = score_task(model, data["train"], data["test"], proxy)
    first = result_of(run(services, task))
    assert 0.0 <= first.score.error <= 1.0
    assert (first.score.train_samples, first.score.test_samples) == (40, 12)
    assert not first.from_cache and first.score.proxy == proxy
    again = result_of(run(services, task))
    assert again.from_cache
    assert again.score.error == first.score.error
    assert again.score.result_key == first.score.result_key


def test_a_score_reports_the_rows_embedded_as_it_goes(
    services: Services, model: ModelRecord, data: dict[str, DatasetRecord]
) -> None:
    events = run(services, score_task(model, data["train"], data["test"], "cosine_nn"))
    embedded = [e.progress for e in events[:-1] if e.progress.stage == "embed"]
    assert [p.done for p in embedded] == sorted(p.done for p in embedded)  # rows so far
    assert {p.total for p in embedded} == {40 + 12}  # training and test rows
    assert embedded[-1].done == 52 and embedded[-1].message == "52 of 52 samples"


@pytest.mark.parametrize("proxy", ["euclidean_nn", "linear"])
def test_a_selection_takes_exactly_its_counts_and_zero_takes_none(
    services: Services, model: ModelRecord, data: dict[str, DatasetRecord], proxy: str
) -> None:
    # a large segment and a small one, as successive halving slices them: the small one may
    # give 0 samples, which must mean none of it, never all of it
    first, second = data["train"].uri, data["test"].uri
    two_parts = DatasetRecord(
        name="two-parts",
        uri=first,
        format="csv",
        input_column="text",
        label_column="label",
        segments=(
            SegmentRecord(uri=first, format="csv", size=0, fingerprint=""),
            SegmentRecord(uri=second, format="csv", size=0, fingerprint=""),
        ),
    )
    reply = services.executor.DescribeDataset(
        executor_pb2.DescribeDatasetRequest(dataset=dataset_to_proto(two_parts)), timeout=WAIT
    )
    described = dataset_from_proto(reply.dataset)
    for counts, expected in (((6, 0), 6), ((0, 4), 4), ((100, 12), 52)):
        task = score_task(model, described, data["test"], proxy, counts)
        assert result_of(run(services, task)).score.train_samples == expected
    embed = embed_task(model, described, selection=(0, 5))
    assert result_of(run(services, embed)).embed.samples == 5


def test_describe_measures_the_mean_text_length_in_characters_and_tokens(
    services: Services, data: dict[str, DatasetRecord]
) -> None:
    reply = services.executor.DescribeDataset(
        executor_pb2.DescribeDatasetRequest(dataset=dataset_to_proto(data["train"])), timeout=WAIT
    )
    described = dataset_from_proto(reply.dataset)
    with open(data["train"].uri, newline="") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    assert described.mean_input_chars == pytest.approx(sum(map(len, texts)) / len(texts))
    assert described.mean_input_tokens == mean_tokens(texts)  # None without the tokenizer


def test_task_ids_are_content_hashes(
    services: Services, model: ModelRecord, data: dict[str, DatasetRecord]
) -> None:
    task = embed_task(model, data["train"])
    first = run(services, task)
    second = run(services, embed_task(model, data["train"]))
    other = run(services, embed_task(model, data["train"], chunk_size=8))
    ids = {e.task_id for e in first} | {e.task_id for e in second}
    assert ids == {task_id(task)}
    assert {e.task_id for e in other} == {task_id(embed_task(model, data["train"], 8))}
    assert ids.isdisjoint(e.task_id for e in other)


def test_a_task_beyond_the_slots_is_refused(
    services: Services,
    gate: Gate,
    gated_model: ModelRecord,
    model: ModelRecord,
    data: dict[str, DatasetRecord],
) -> None:
    held = embed_task(gated_model, data["train"])
    running = Background(services, held)
    assert gate.entered.wait(WAIT)
    busy = capacity(services)
    assert busy.busy == 1 and list(busy.running_tasks) == [task_id(held)]
    with pytest.raises(grpc.RpcError) as refused:
        run(services, embed_task(model, data["test"]))
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "busy" in (refused.value.details() or "")
    gate.released.set()
    running.join()
    assert running.error is None and result_of(running.events).embed.samples == 40
    assert capacity(services).busy == 0


def test_a_slot_is_held_until_the_work_ends_not_only_its_call(
    services: Services,
    gate: Gate,
    gated_model: ModelRecord,
    model: ModelRecord,
    data: dict[str, DatasetRecord],
) -> None:
    held = task_to_proto(embed_task(gated_model, data["train"]))
    call = services.executor.RunTask(held, timeout=WAIT)
    assert gate.entered.wait(WAIT)
    call.cancel()  # the caller goes away while the forward pass is still running
    assert capacity(services).busy == 1
    with pytest.raises(grpc.RpcError) as refused:
        run(services, embed_task(model, data["test"]))
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    gate.released.set()  # the worker stops at the next batch and frees its slot
    deadline = time.monotonic() + WAIT
    while capacity(services).busy and time.monotonic() < deadline:
        time.sleep(0.05)
    assert capacity(services).busy == 0
    assert result_of(run(services, embed_task(model, data["test"]))).embed.samples == 12


def test_cancelling_a_finetune_leaves_no_model_and_no_folder(
    services: Services,
    gate: Gate,
    gated_model: ModelRecord,
    data: dict[str, DatasetRecord],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("SHIFT_HOME", str(home))
    task = finetune_task(gated_model, data["train"], data["test"])
    running = Background(services, task)
    assert gate.entered.wait(WAIT)
    cancelled = services.executor.CancelTask(
        executor_pb2.CancelTaskRequest(task_id=task_id(task)), timeout=WAIT
    )
    assert cancelled.cancelled
    gate.released.set()
    running.join()
    assert running.error is not None
    assert running.error.code() == grpc.StatusCode.CANCELLED
    with pytest.raises(NotFound):
        services.cache.get_model("tuned-bert")
    assert not (home / "models" / "tuned-bert").exists()
    assert capacity(services).busy == 0


def test_cancelling_an_unknown_task_says_so(services: Services) -> None:
    reply = services.executor.CancelTask(
        executor_pb2.CancelTaskRequest(task_id="no-such-task"), timeout=WAIT
    )
    assert not reply.cancelled


def bad_tasks(
    model: ModelRecord, data: dict[str, DatasetRecord], tmp_path: Path
) -> dict[str, tuple[Task, grpc.StatusCode, str]]:
    """Tasks naming something that does not exist: (task, code, name in the message)."""
    missing = csv_dataset(tmp_path / "missing.csv")
    nowhere = ModelRecord(name="nowhere", source="nosuchsource", uri="x")
    return {
        "unknown proxy": (
            score_task(model, data["train"], data["test"], "nosuchproxy"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "nosuchproxy",
        ),
        "missing dataset file": (
            embed_task(model, missing),
            grpc.StatusCode.NOT_FOUND,
            "missing.csv",
        ),
        "unknown model source": (
            embed_task(nowhere, data["train"]),
            grpc.StatusCode.NOT_FOUND,
            "nosuchsource",
        ),
    }


@pytest.mark.parametrize("case", ["unknown proxy", "missing dataset file", "unknown model source"])
def test_bad_input_names_the_problem_and_the_executor_keeps_serving(
    services: Services,
    model: ModelRecord,
    data: dict[str, DatasetRecord],
    tmp_path: Path,
    case: str,
) -> None:
    task, code, name = bad_tasks(model, data, tmp_path)[case]
    with pytest.raises(grpc.RpcError) as failed:
        run(services, task)
    assert failed.value.code() == code
    assert name in (failed.value.details() or "")
    assert capacity(services).busy == 0
    assert result_of(run(services, embed_task(model, data["test"]))).embed.samples == 12


def test_describe_dataset_fills_sizes_classes_and_fingerprints(
    services: Services, tmp_path: Path
) -> None:
    first, second = write_csv(tmp_path / "a.csv", 10), write_csv(tmp_path / "b.csv", 6, offset=50)
    record = DatasetRecord(
        name="two-parts",
        uri=str(first),
        format="csv",
        input_column="text",
        label_column="label",
        segments=(
            SegmentRecord(uri=str(first), format="csv", size=0, fingerprint=""),
            SegmentRecord(uri=str(second), format="csv", size=0, fingerprint=""),
        ),
    )
    reply = services.executor.DescribeDataset(
        executor_pb2.DescribeDatasetRequest(dataset=dataset_to_proto(record)), timeout=WAIT
    )
    described = dataset_from_proto(reply.dataset)
    assert (described.size, described.num_classes) == (16, 2)
    assert [s.size for s in described.segments] == [10, 6]
    fingerprints = [s.fingerprint for s in described.segments]
    assert all(fingerprints) and len(set(fingerprints)) == 2
    assert described.fingerprint


def test_the_worker_runs_domain_tasks_without_a_servicer_and_ends_with_unavailable_once_closed(
    services: Services, model: ModelRecord, data: dict[str, DatasetRecord]
) -> None:
    executor = Executor(services.cache.address, slots=1, device="cpu")
    task = embed_task(model, data["test"])
    events = list(executor.start(task_id(task), task).events())
    assert all(isinstance(e, TaskProgress) for e in events[:-1])
    result = events[-1]
    assert isinstance(result, TaskResult) and result.of(EmbedResult).samples == 12
    assert executor.capacity() == Capacity("cpu", 1, 0, ())
    executor.close()
    with pytest.raises(Unavailable, match="shutting down"):
        executor.start(task_id(task), task)
    assert executor.capacity().busy == 0
