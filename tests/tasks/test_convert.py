"""Tasks and results cross the planner–executor contract unchanged, and a task's id is the
content hash of its inputs."""

from __future__ import annotations

import hashlib

import pytest

from shift_search.cache.records import DatasetRecord, ModelRecord, SegmentRecord
from shift_search.proto.v1 import executor_pb2
from shift_search.runtime.errors import InvalidArgument, ShiftError
from shift_search.tasks import convert
from shift_search.tasks.results import (
    Capacity,
    EmbedResult,
    FinetuneResult,
    Outcome,
    ProfileResult,
    ScoreResult,
    Task2VecResult,
    TaskProgress,
    TaskResult,
)
from shift_search.tasks.specs import (
    CHUNK_SIZE,
    EmbedTask,
    FinetuneTask,
    ProfileTask,
    ProxySpec,
    RankTask,
    ScorerSpec,
    ScoreTask,
    Task,
    Task2VecTask,
)

MODEL = ModelRecord(
    name="bert", source="huggingface", uri="/m/bert", dimension=32, date_added="2024-01-01"
)
TRAIN = DatasetRecord(
    name="train",
    uri="/d/a.csv",
    format="csv",
    input_column="text",
    label_column="label",
    size=50,
    num_classes=2,
    fingerprint="fp-train",
    segments=(
        SegmentRecord("/d/a.csv", "csv", 40, "fp-a"),
        SegmentRecord("/d/b.csv", "csv", 10, "fp-b"),
    ),
    date_added="2024-01-01",
)
TEST = DatasetRecord(name="test", uri="/d/t.csv", format="csv", date_added="2024-01-01")

TASKS: list[Task] = [
    EmbedTask(MODEL, TRAIN),
    EmbedTask(MODEL, TRAIN, (4, 0), 16),
    ScoreTask(MODEL, TRAIN, TEST, ProxySpec("linear", {"lr": 0.5, "epochs": 3})),
    ScoreTask(MODEL, TRAIN, TEST, ProxySpec("euclidean_nn"), (40, 2)),
    FinetuneTask(MODEL, TRAIN, TEST, {"epochs": 1, "optimizer": "adam"}, "tuned", True),
    ProfileTask(MODEL),
    ProfileTask(MODEL, 8),
    RankTask(MODEL, TRAIN, ScorerSpec("leep")),
    RankTask(MODEL, TRAIN, ScorerSpec("knn", {"k": 5, "metric": "euclidean"}), TEST, 16),
    Task2VecTask(MODEL, TRAIN, {"samples": 100, "lr": 0.01}),
]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: type(t).__name__)
def test_a_task_survives_the_contract_and_its_bytes(task: Task) -> None:
    assert convert.task_from_proto(convert.task_to_proto(task)) == task
    assert convert.task_from_bytes(convert.task_bytes(task)) == task


def test_a_task_id_is_the_hash_of_its_deterministic_request() -> None:
    for task in TASKS:
        request = convert.task_to_proto(task).SerializeToString(deterministic=True)
        assert convert.task_id(task) == hashlib.sha256(request).hexdigest()[:32]
    assert len({convert.task_id(t) for t in TASKS}) == len(TASKS)  # other inputs, other ids
    again = ScoreTask(MODEL, TRAIN, TEST, ProxySpec("linear", {"epochs": 3, "lr": 0.5}))
    assert convert.task_id(again) == convert.task_id(TASKS[2])  # parameter order does not matter


def test_what_a_request_leaves_out_takes_the_defaults() -> None:
    """An empty selection is every sample, chunk size 0 the storage chunk, 0 samples the
    profiling default: a request that leaves them out runs (and is named) as the default."""
    request = executor_pb2.RunTaskRequest(embed=executor_pb2.EmbedTask())
    embed = convert.task_from_proto(request)
    assert isinstance(embed, EmbedTask)
    assert (embed.selection, embed.chunk_size) == (None, CHUNK_SIZE)
    profile = convert.task_from_proto(
        executor_pb2.RunTaskRequest(profile=executor_pb2.ProfileTask())
    )
    assert profile == ProfileTask(profile.model)


def test_a_request_without_a_task_is_invalid() -> None:
    with pytest.raises(InvalidArgument, match="embed, score, finetune, profile, rank, task2vec"):
        convert.task_from_proto(executor_pb2.RunTaskRequest(task_id="x"))


RESULTS = [
    TaskResult(EmbedResult(3, 1, 40, 32), False, 1.5, {"extract": 1.0, "read": 0.1}),
    TaskResult(ScoreResult("knn", 0.25, 40, 12, "k", 2, 1, 4, 5), True, 0.5),
    TaskResult(FinetuneResult(MODEL, 0.9, 0.5, 0.1, 20)),
    TaskResult(FinetuneResult(None, 0.9, 0.5, 0.1, 20), True),
    TaskResult(ProfileResult(1.0, 0.002, 32, 1000, "cpu")),
    TaskResult(Task2VecResult("res:task2vec:x", 120, 50, 2), True),
]


@pytest.mark.parametrize("result", RESULTS, ids=lambda r: type(r.outcome).__name__)
def test_a_result_survives_the_contract(result: TaskResult[Outcome]) -> None:
    assert convert.result_from_proto(convert.result_to_proto(result)) == result
    event = convert.event_from_proto(convert.event_to_proto("id", result))
    assert event == result


def test_progress_and_capacity_survive_the_contract() -> None:
    progress = TaskProgress("embed", 3, 10, "3 of 10", 0.5)
    assert convert.event_from_proto(convert.event_to_proto("id", progress)) == progress
    capacity = Capacity("cuda:0", 2, 1, ("a",))
    assert convert.capacity_from_proto(convert.capacity_to_proto(capacity)) == capacity


def test_an_outcome_of_another_kind_breaks_the_contract() -> None:
    result = RESULTS[1]
    assert result.of(ScoreResult).error == 0.25
    with pytest.raises(ShiftError, match="answered ScoreResult, expected EmbedResult"):
        result.of(EmbedResult)


def test_a_rank_task_without_test_data_says_so() -> None:
    """No TESTED ON: the request leaves the test dataset out, and reads back as None."""
    request = convert.task_to_proto(RankTask(MODEL, TRAIN, ScorerSpec("nce")))
    assert not request.rank.HasField("test")
    task = convert.task_from_proto(request)
    assert isinstance(task, RankTask) and task.test is None


def test_every_sample_is_a_request_without_a_selection() -> None:
    """Ids stay those of requests built before tasks were domain types: no empty selection."""
    assert not convert.task_to_proto(EmbedTask(MODEL, TRAIN)).embed.HasField("selection")
    assert convert.task_to_proto(EmbedTask(MODEL, TRAIN, (1, 0))).embed.HasField("selection")
