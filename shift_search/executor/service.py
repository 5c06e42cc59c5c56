"""The ExecutorService gRPC handler: one task per device slot, streamed progress, cancellation."""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import grpc

from shift_search.cache.client import CacheClient
from shift_search.cache.convert import (
    dataset_from_proto,
    dataset_to_proto,
    model_from_proto,
    model_to_proto,
)
from shift_search.executor import convert
from shift_search.executor.datasets.segments import SegmentReader
from shift_search.executor.finetuning.task import run_finetune
from shift_search.executor.loaders.registry import pick_device
from shift_search.executor.runner import (
    EncoderPool,
    TaskEnv,
    run_describe,
    run_embed,
    run_profile,
    run_score,
)
from shift_search.proto.v1 import executor_pb2, executor_pb2_grpc
from shift_search.runtime.errors import InvalidArgument, ResourceExhausted, ShiftError, Unavailable
from shift_search.runtime.server import Registration
from shift_search.runtime.values import params_from_proto

log = logging.getLogger("shift.executor")

DEFAULT_CHUNK_SIZE = 1024
_DONE = object()


def task_id_of(request: executor_pb2.RunTaskRequest) -> str:
    """The content hash of a task's inputs: the same work always has the same id."""
    body = executor_pb2.RunTaskRequest()
    body.CopyFrom(request)
    body.task_id = ""
    return hashlib.sha256(body.SerializeToString(deterministic=True)).hexdigest()[:32]


class ExecutorServicer(executor_pb2_grpc.ExecutorServiceServicer):
    """Runs tasks on this process's device, at most `slots` at a time."""

    def __init__(
        self,
        cache_address: str,
        *,
        slots: int = 1,
        device: str | None = None,
        cache_credentials: grpc.ChannelCredentials | None = None,
    ) -> None:
        self.device = str(pick_device(device))
        self.slots = slots
        self._cache = CacheClient(cache_address, timeout=600, credentials=cache_credentials)
        self._reader = SegmentReader()
        self._encoders = EncoderPool(self.device)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified whenever a slot frees
        self._running: dict[str, threading.Event] = {}
        self._busy = 0
        # long-lived workers: a new thread per task would redo per-thread GPU set-up (cuBLAS)
        self._workers = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="task")

    def RunTask(
        self, request: executor_pb2.RunTaskRequest, context: grpc.ServicerContext
    ) -> Iterator[executor_pb2.TaskEvent]:
        task_id = request.task_id or task_id_of(request)
        stop = self._claim_slot(task_id)
        context.add_callback(stop.set)  # the caller went away: stop between batches
        events: queue.Queue[object] = queue.Queue()
        started = time.perf_counter()

        def progress(stage: str, done: int, total: int, message: str) -> None:
            events.put(
                executor_pb2.TaskProgress(
                    stage=stage,
                    done=done,
                    total=total,
                    message=message,
                    elapsed_seconds=time.perf_counter() - started,
                )
            )

        env = TaskEnv(self._cache, self._reader, self._encoders, progress, stop.is_set)
        try:
            work = self._workers.submit(self._work, task_id, request, env, events)
        except RuntimeError:  # the worker pool is shut down: this executor is stopping
            self._release_slot(task_id)
            raise Unavailable("the executor is shutting down") from None
        work.add_done_callback(lambda done: self._never_ran(done, task_id, events))
        try:
            while True:
                item = events.get()
                if item is _DONE:
                    return
                if isinstance(item, ShiftError):
                    raise item
                if isinstance(item, executor_pb2.TaskProgress):
                    yield executor_pb2.TaskEvent(task_id=task_id, progress=item)
                elif isinstance(item, executor_pb2.TaskResult):
                    item.seconds = time.perf_counter() - started
                    yield executor_pb2.TaskEvent(task_id=task_id, result=item)
        finally:
            stop.set()  # done, or the caller went away: the worker stops between batches

    def _work(
        self,
        task_id: str,
        request: executor_pb2.RunTaskRequest,
        env: TaskEnv,
        events: queue.Queue[object],
    ) -> None:
        """Run one task; its slot is held until the work itself ends, not only its call."""
        try:
            result = run_request(request, env)
            result.phase_seconds.update(env.phases.seconds)
            events.put(result)
        except ShiftError as err:
            events.put(err)
        except Exception as err:  # a bug or a library failure: report it, keep serving
            log.exception("task failed")
            events.put(ShiftError(f"task failed: {type(err).__name__}: {err}"))
        finally:
            self._release_slot(task_id)
            events.put(_DONE)

    def _never_ran(self, work: Future[None], task_id: str, events: queue.Queue[object]) -> None:
        """A task dropped from the queue at shutdown: free its slot and end its call."""
        if work.cancelled():
            self._release_slot(task_id)
            events.put(Unavailable("the executor is shutting down"))
            events.put(_DONE)

    def CancelTask(
        self, request: executor_pb2.CancelTaskRequest, context: grpc.ServicerContext
    ) -> executor_pb2.CancelTaskResponse:
        with self._lock:
            stop = self._running.get(request.task_id)
        if stop is not None:
            stop.set()
        return executor_pb2.CancelTaskResponse(cancelled=stop is not None)

    def GetCapacity(
        self, request: executor_pb2.GetCapacityRequest, context: grpc.ServicerContext
    ) -> executor_pb2.GetCapacityResponse:
        with self._lock:
            return executor_pb2.GetCapacityResponse(
                device=self.device,
                slots=self.slots,
                busy=self._busy,
                running_tasks=sorted(self._running),
            )

    def DescribeDataset(
        self, request: executor_pb2.DescribeDatasetRequest, context: grpc.ServicerContext
    ) -> executor_pb2.DescribeDatasetResponse:
        env = TaskEnv(self._cache, self._reader, self._encoders)
        described = run_describe(env, dataset_from_proto(request.dataset))
        return executor_pb2.DescribeDatasetResponse(dataset=dataset_to_proto(described))

    def _claim_slot(self, task_id: str) -> threading.Event:
        with self._lock:
            if self._busy >= self.slots:
                raise ResourceExhausted(
                    f"executor busy: {self._busy} of {self.slots} slot(s) in use on {self.device}"
                )
            self._busy += 1
            stop = threading.Event()
            self._running[task_id] = stop
            return stop

    def _release_slot(self, task_id: str) -> None:
        with self._lock:
            self._busy -= 1
            self._running.pop(task_id, None)
            self._idle.notify_all()

    def close(self, wait_seconds: float = 10.0) -> None:
        """Stop running tasks (between batches), give them `wait_seconds` to end, then close."""
        with self._lock:
            for stop in self._running.values():
                stop.set()
        self._workers.shutdown(wait=False, cancel_futures=True)
        with self._idle:
            self._idle.wait_for(lambda: self._busy == 0, timeout=wait_seconds)
        self._cache.close()


def run_request(request: executor_pb2.RunTaskRequest, env: TaskEnv) -> executor_pb2.TaskResult:
    """Dispatch one task to its runner and wrap the outcome."""
    match request.WhichOneof("task"):
        case "score":
            t = request.score
            score = run_score(
                env,
                model_from_proto(t.model),
                dataset_from_proto(t.train),
                dataset_from_proto(t.test),
                t.proxy.name,
                params_from_proto(t.proxy.params),
                convert.selection_of(t.selection),
                t.chunk_size or DEFAULT_CHUNK_SIZE,
            )
            return executor_pb2.TaskResult(
                from_cache=score.from_cache,
                score=executor_pb2.ScoreResult(
                    proxy=t.proxy.name,
                    error=score.error,
                    train_samples=score.train_samples,
                    test_samples=score.test_samples,
                    result_key=score.result_key,
                    chunks_computed=score.chunks_computed,
                    chunks_cached=score.chunks_cached,
                    pairs_searched=score.pairs_searched,
                    pairs_reused=score.pairs_reused,
                ),
            )
        case "embed":
            t2 = request.embed
            embed = run_embed(
                env,
                model_from_proto(t2.model),
                dataset_from_proto(t2.dataset),
                convert.selection_of(t2.selection),
                t2.chunk_size or DEFAULT_CHUNK_SIZE,
            )
            return executor_pb2.TaskResult(
                from_cache=embed.chunks_computed == 0,
                embed=executor_pb2.EmbedResult(
                    chunks_computed=embed.chunks_computed,
                    chunks_cached=embed.chunks_cached,
                    samples=embed.samples,
                    dimension=embed.dimension,
                ),
            )
        case "finetune":
            t3 = request.finetune
            tuned = run_finetune(
                env,
                model_from_proto(t3.model),
                dataset_from_proto(t3.train),
                dataset_from_proto(t3.test),
                params_from_proto(t3.params),
                t3.output_name,
                t3.register,
            )
            result = executor_pb2.FinetuneResult(
                test_accuracy=tuned.test_accuracy,
                head_accuracy_before=tuned.head_accuracy_before,
                train_loss=tuned.train_loss,
                steps=tuned.steps,
            )
            if tuned.model is not None:
                result.model.CopyFrom(model_to_proto(tuned.model))
            return executor_pb2.TaskResult(from_cache=tuned.from_cache, finetune=result)
        case "profile":
            t4 = request.profile
            prof = run_profile(env, model_from_proto(t4.model), t4.samples or 64)
            return executor_pb2.TaskResult(
                profile=executor_pb2.ProfileResult(
                    load_seconds=prof.load_seconds,
                    infer_seconds_per_sample=prof.infer_seconds_per_sample,
                    dimension=prof.dimension,
                    num_params=prof.num_params,
                    device=prof.device,
                )
            )
        case _:
            raise InvalidArgument("RunTask needs one of: embed, score, finetune, profile")


def registration(
    cache_address: str,
    *,
    slots: int = 1,
    device: str | None = None,
    cache_credentials: grpc.ChannelCredentials | None = None,
) -> Registration:
    """How `shift serve` hosts the executor; `cache_credentials`: mutual TLS to the cache."""
    servicer = ExecutorServicer(
        cache_address, slots=slots, device=device, cache_credentials=cache_credentials
    )
    return Registration(
        name=executor_pb2.DESCRIPTOR.services_by_name["ExecutorService"].full_name,
        add=lambda server: executor_pb2_grpc.add_ExecutorServiceServicer_to_server(
            servicer, server
        ),
        on_stop=servicer.close,
    )
