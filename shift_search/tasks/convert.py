"""Tasks and their results to and from `shift.v1` protobuf: the contract between planner and
executor, both ways, and the only place tasks meet protobuf.

A task is named by the content hash of its inputs: `task_id` hashes the deterministic
serialization of its request (`task_bytes`), so the same work always has the same id on every
planner and executor.
"""

from __future__ import annotations

import hashlib
from typing import assert_never

from google.protobuf.message import DecodeError

from shift_search.cache.convert import (
    dataset_from_proto,
    dataset_to_proto,
    model_from_proto,
    model_to_proto,
)
from shift_search.proto.v1 import executor_pb2
from shift_search.runtime.errors import InvalidArgument
from shift_search.runtime.profile_inputs import PROFILE_SAMPLES
from shift_search.runtime.values import params_from_proto, params_to_proto
from shift_search.tasks.results import (
    Capacity,
    DescribeResult,
    EmbedResult,
    FinetuneResult,
    Outcome,
    ProfileResult,
    ScoreResult,
    Task2VecResult,
    TaskEvent,
    TaskProgress,
    TaskResult,
)
from shift_search.tasks.specs import (
    CHUNK_SIZE,
    DescribeTask,
    EmbedTask,
    FinetuneTask,
    ProfileTask,
    ProxySpec,
    RankTask,
    ScorerSpec,
    ScoreTask,
    Selection,
    Task,
    Task2VecTask,
)


def task_id(task: Task) -> str:
    """The content hash of a task's inputs: the same work always has the same id."""
    return hashlib.sha256(task_bytes(task)).hexdigest()[:32]


def task_bytes(task: Task) -> bytes:
    """The task as a serialized `RunTaskRequest` without an id (deterministic)."""
    return task_to_proto(task).SerializeToString(deterministic=True)


def task_from_bytes(data: bytes) -> Task:
    """The task a queue payload (`task_bytes`) holds; InvalidArgument when it holds none."""
    try:
        request = executor_pb2.RunTaskRequest.FromString(data)
    except DecodeError as error:
        raise InvalidArgument(f"a task from the queue does not parse: {error}") from None
    return task_from_proto(request)


def task_to_proto(task: Task) -> executor_pb2.RunTaskRequest:
    """The request that runs `task` (without an id: the executor names it by its content)."""
    match task:
        case EmbedTask():
            return executor_pb2.RunTaskRequest(embed=_embed_to_proto(task))
        case ScoreTask():
            return executor_pb2.RunTaskRequest(score=_score_to_proto(task))
        case FinetuneTask():
            return executor_pb2.RunTaskRequest(finetune=_finetune_to_proto(task))
        case ProfileTask():
            model = model_to_proto(task.model)
            return executor_pb2.RunTaskRequest(
                profile=executor_pb2.ProfileTask(model=model, samples=task.samples)
            )
        case RankTask():
            return executor_pb2.RunTaskRequest(rank=_rank_to_proto(task))
        case Task2VecTask():
            return executor_pb2.RunTaskRequest(
                task2vec=executor_pb2.Task2VecTask(
                    probe=model_to_proto(task.probe),
                    dataset=dataset_to_proto(task.dataset),
                    params=params_to_proto(task.params),
                    chunk_size=task.chunk_size,
                )
            )
        case DescribeTask():
            dataset = dataset_to_proto(task.dataset)
            return executor_pb2.RunTaskRequest(describe=executor_pb2.DescribeTask(dataset=dataset))
        case _:
            assert_never(task)


def task_from_proto(request: executor_pb2.RunTaskRequest) -> Task:
    """The task a request asks for; InvalidArgument when it names none."""
    match request.WhichOneof("task"):
        case "embed":
            e = request.embed
            return EmbedTask(
                model_from_proto(e.model),
                dataset_from_proto(e.dataset),
                _selection_of(e.selection),
                e.chunk_size or CHUNK_SIZE,
            )
        case "score":
            s = request.score
            return ScoreTask(
                model_from_proto(s.model),
                dataset_from_proto(s.train),
                dataset_from_proto(s.test),
                ProxySpec(s.proxy.name, params_from_proto(s.proxy.params)),
                _selection_of(s.selection),
                s.chunk_size or CHUNK_SIZE,
            )
        case "finetune":
            f = request.finetune
            return FinetuneTask(
                model_from_proto(f.model),
                dataset_from_proto(f.train),
                dataset_from_proto(f.test),
                params_from_proto(f.params),
                f.output_name,
                f.register,
            )
        case "profile":
            p = request.profile
            return ProfileTask(model_from_proto(p.model), p.samples or PROFILE_SAMPLES)
        case "rank":
            r = request.rank
            return RankTask(
                model_from_proto(r.model),
                dataset_from_proto(r.train),
                ScorerSpec(r.scorer.name, params_from_proto(r.scorer.params)),
                dataset_from_proto(r.test) if r.HasField("test") else None,
                r.chunk_size or CHUNK_SIZE,
            )
        case "task2vec":
            t = request.task2vec
            return Task2VecTask(
                model_from_proto(t.probe),
                dataset_from_proto(t.dataset),
                params_from_proto(t.params),
                t.chunk_size or CHUNK_SIZE,
            )
        case "describe":
            return DescribeTask(dataset_from_proto(request.describe.dataset))
        case _:
            raise InvalidArgument(
                "RunTask needs one of: embed, score, finetune, profile, rank, task2vec, describe"
            )


def _selection_of(selection: executor_pb2.SampleSelection) -> Selection:
    return tuple(selection.samples_per_segment) or None


def _selection_to_proto(selection: Selection) -> executor_pb2.SampleSelection | None:
    """None (left out of the request) for every sample, as a request that never set it."""
    return executor_pb2.SampleSelection(samples_per_segment=selection) if selection else None


def _embed_to_proto(task: EmbedTask) -> executor_pb2.EmbedTask:
    return executor_pb2.EmbedTask(
        model=model_to_proto(task.model),
        dataset=dataset_to_proto(task.dataset),
        selection=_selection_to_proto(task.selection),
        chunk_size=task.chunk_size,
    )


def _score_to_proto(task: ScoreTask) -> executor_pb2.ScoreTask:
    return executor_pb2.ScoreTask(
        model=model_to_proto(task.model),
        train=dataset_to_proto(task.train),
        test=dataset_to_proto(task.test),
        proxy=executor_pb2.ProxySpec(
            name=task.proxy.name, params=params_to_proto(task.proxy.params)
        ),
        selection=_selection_to_proto(task.selection),
        chunk_size=task.chunk_size,
    )


def _rank_to_proto(task: RankTask) -> executor_pb2.RankTask:
    return executor_pb2.RankTask(
        model=model_to_proto(task.model),
        train=dataset_to_proto(task.train),
        test=dataset_to_proto(task.test) if task.test is not None else None,
        scorer=executor_pb2.ScorerSpec(
            name=task.scorer.name, params=params_to_proto(task.scorer.params)
        ),
        chunk_size=task.chunk_size,
    )


def _finetune_to_proto(task: FinetuneTask) -> executor_pb2.FinetuneTask:
    return executor_pb2.FinetuneTask(
        model=model_to_proto(task.model),
        train=dataset_to_proto(task.train),
        test=dataset_to_proto(task.test),
        params=params_to_proto(task.params),
        output_name=task.output_name,
        register=task.register,
    )


# --- results -----------------------------------------------------------------------------------


def result_to_proto(result: TaskResult[Outcome]) -> executor_pb2.TaskResult:
    msg = executor_pb2.TaskResult(
        from_cache=result.from_cache,
        seconds=result.seconds,
        phase_seconds=dict(result.phase_seconds),
    )
    match result.outcome:
        case EmbedResult() as e:
            msg.embed.CopyFrom(
                executor_pb2.EmbedResult(
                    chunks_computed=e.chunks_computed,
                    chunks_cached=e.chunks_cached,
                    samples=e.samples,
                    dimension=e.dimension,
                )
            )
        case ScoreResult() as s:
            msg.score.CopyFrom(
                executor_pb2.ScoreResult(
                    proxy=s.proxy,
                    error=s.error,
                    train_samples=s.train_samples,
                    test_samples=s.test_samples,
                    result_key=s.result_key,
                    chunks_computed=s.chunks_computed,
                    chunks_cached=s.chunks_cached,
                    pairs_searched=s.pairs_searched,
                    pairs_reused=s.pairs_reused,
                )
            )
        case FinetuneResult() as f:
            msg.finetune.CopyFrom(
                executor_pb2.FinetuneResult(
                    test_accuracy=f.test_accuracy,
                    head_accuracy_before=f.head_accuracy_before,
                    train_loss=f.train_loss,
                    steps=f.steps,
                )
            )
            if f.model is not None:
                msg.finetune.model.CopyFrom(model_to_proto(f.model))
        case ProfileResult() as p:
            msg.profile.CopyFrom(
                executor_pb2.ProfileResult(
                    load_seconds=p.load_seconds,
                    infer_seconds_per_sample=p.infer_seconds_per_sample,
                    dimension=p.dimension,
                    num_params=p.num_params,
                    device=p.device,
                )
            )
        case Task2VecResult() as t:
            msg.task2vec.CopyFrom(
                executor_pb2.Task2VecResult(
                    embedding_key=t.embedding_key,
                    dimension=t.dimension,
                    samples=t.samples,
                    classes=t.classes,
                )
            )
        case DescribeResult() as d:
            msg.describe.CopyFrom(executor_pb2.DescribeResult(dataset=dataset_to_proto(d.dataset)))
        case _:
            assert_never(result.outcome)
    return msg


def result_from_proto(msg: executor_pb2.TaskResult) -> TaskResult[Outcome]:
    """The result a reply carries; InvalidArgument when it holds none."""
    return TaskResult(_outcome_of(msg), msg.from_cache, msg.seconds, dict(msg.phase_seconds))


def _outcome_of(msg: executor_pb2.TaskResult) -> Outcome:
    match msg.WhichOneof("result"):
        case "embed":
            e = msg.embed
            return EmbedResult(e.chunks_computed, e.chunks_cached, e.samples, e.dimension)
        case "score":
            s = msg.score
            return ScoreResult(
                s.proxy,
                s.error,
                s.train_samples,
                s.test_samples,
                s.result_key,
                s.chunks_computed,
                s.chunks_cached,
                s.pairs_searched,
                s.pairs_reused,
            )
        case "finetune":
            f = msg.finetune
            model = model_from_proto(f.model) if f.HasField("model") else None
            return FinetuneResult(
                model, f.test_accuracy, f.head_accuracy_before, f.train_loss, f.steps
            )
        case "profile":
            p = msg.profile
            return ProfileResult(
                p.load_seconds, p.infer_seconds_per_sample, p.dimension, p.num_params, p.device
            )
        case "task2vec":
            t = msg.task2vec
            return Task2VecResult(t.embedding_key, t.dimension, t.samples, t.classes)
        case "describe":
            return DescribeResult(dataset_from_proto(msg.describe.dataset))
        case _:
            raise InvalidArgument(
                "a task result holds none of: embed, score, finetune, profile, task2vec, describe"
            )


def result_bytes(result: TaskResult[Outcome]) -> bytes:
    """A result as it travels back through the work queue."""
    return result_to_proto(result).SerializeToString()


def result_from_bytes(data: bytes) -> TaskResult[Outcome]:
    """A result read back from the work queue; InvalidArgument when the bytes are not one."""
    try:
        msg = executor_pb2.TaskResult.FromString(data)
    except DecodeError as error:
        raise InvalidArgument(f"a task result from the queue does not parse: {error}") from None
    return result_from_proto(msg)


def progress_bytes(progress: TaskProgress) -> bytes:
    return progress_to_proto(progress).SerializeToString()


def progress_from_bytes(data: bytes) -> TaskProgress:
    try:
        msg = executor_pb2.TaskProgress.FromString(data)
    except DecodeError as error:
        raise InvalidArgument(f"task progress from the queue does not parse: {error}") from None
    return progress_from_proto(msg)


def progress_to_proto(progress: TaskProgress) -> executor_pb2.TaskProgress:
    return executor_pb2.TaskProgress(
        stage=progress.stage,
        done=progress.done,
        total=progress.total,
        message=progress.message,
        elapsed_seconds=progress.elapsed_seconds,
    )


def progress_from_proto(msg: executor_pb2.TaskProgress) -> TaskProgress:
    return TaskProgress(msg.stage, msg.done, msg.total, msg.message, msg.elapsed_seconds)


def event_to_proto(task_id: str, event: TaskEvent) -> executor_pb2.TaskEvent:
    if isinstance(event, TaskProgress):
        return executor_pb2.TaskEvent(task_id=task_id, progress=progress_to_proto(event))
    return executor_pb2.TaskEvent(task_id=task_id, result=result_to_proto(event))


def event_from_proto(msg: executor_pb2.TaskEvent) -> TaskEvent | None:
    """The progress or result an event carries; None for an empty event."""
    match msg.WhichOneof("event"):
        case "progress":
            return progress_from_proto(msg.progress)
        case "result":
            return result_from_proto(msg.result)
        case _:
            return None


def capacity_to_proto(capacity: Capacity) -> executor_pb2.GetCapacityResponse:
    return executor_pb2.GetCapacityResponse(
        device=capacity.device,
        slots=capacity.slots,
        busy=capacity.busy,
        running_tasks=capacity.running_tasks,
    )


def capacity_from_proto(msg: executor_pb2.GetCapacityResponse) -> Capacity:
    return Capacity(msg.device, msg.slots, msg.busy, tuple(msg.running_tasks))
