"""One task to the runner of its kind: the executor's only dispatch over task types."""

from __future__ import annotations

from typing import assert_never

from shift_search.executor.finetuning.task import run_finetune
from shift_search.executor.runner import TaskEnv, run_describe, run_embed, run_profile, run_score
from shift_search.tasks.results import DescribeResult, Outcome, TaskResult
from shift_search.tasks.specs import (
    DescribeTask,
    EmbedTask,
    FinetuneTask,
    ProfileTask,
    ScoreTask,
    Task,
)


def run_task(task: Task, env: TaskEnv) -> TaskResult[Outcome]:
    """Run `task` in `env` and return its result (from the cache when it holds one)."""
    match task:
        case ScoreTask():
            return run_score(env, task)
        case EmbedTask():
            return run_embed(env, task)
        case FinetuneTask():
            return run_finetune(env, task)
        case ProfileTask():
            return run_profile(env, task)
        case DescribeTask():
            return TaskResult(DescribeResult(run_describe(env, task.dataset)))
        case _:
            assert_never(task)
