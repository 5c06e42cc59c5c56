"""bench.scaleout's simulation keeps the books: work is conserved, nothing beats the critical
path, a busy Redis slows everyone, and the workload comes from measured results."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench.scaleout.command import FREE, ideal_seconds, redis_limit
from bench.scaleout.simulation import OpCosts, Simulation
from bench.scaleout.workload import (
    POOL_SIZE,
    Granularity,
    critical_path_seconds,
    load_measured,
    schedule,
    total_compute_seconds,
)

COSTS = OpCosts(
    enqueue_per_task=1e-5,
    enqueue_call=4e-5,
    take=1e-4,
    complete=3e-5,
    progress=2e-5,
    read_events=5e-6,
    heartbeat=2e-5,
    reap=1.5e-5,
    request_overhead=4e-5,
)
FREE_COSTS = replace(COSTS, **FREE, round_trip=0.0)


@pytest.fixture(scope="module")
def pool() -> list:  # type: ignore[type-arg]
    return load_measured().pool("cuda")


def test_the_pool_is_the_papers_largest_with_measured_costs(pool: list) -> None:  # type: ignore[type-arg]
    measured = load_measured()
    assert len(pool) == POOL_SIZE
    assert {c.load_seconds for c in pool} == set(measured.load_seconds.values())
    assert 0 < measured.cuda_scale < 1  # the GPU is faster per sample than the 2-core CPU
    assert schedule().survivors[0] == POOL_SIZE


@pytest.mark.parametrize("granularity", list(Granularity))
def test_one_executor_is_never_idle_and_loads_every_model(
    pool: list,
    granularity: Granularity,  # type: ignore[type-arg]
) -> None:
    outcome = Simulation(pool, 1, 1, granularity, FREE_COSTS).run()
    assert outcome.loads >= POOL_SIZE  # it holds 4 models; later rounds load some again
    assert outcome.makespan == pytest.approx(outcome.compute_seconds + outcome.load_seconds)
    assert outcome.makespan >= ideal_seconds(outcome.compute_seconds, pool, 1)
    first_survive = total_compute_seconds(pool, schedule(), granularity)
    assert outcome.compute_seconds == pytest.approx(first_survive, rel=0.05)


@pytest.mark.parametrize("granularity", list(Granularity))
def test_no_number_of_executors_beats_the_critical_path(
    pool: list,
    granularity: Granularity,  # type: ignore[type-arg]
) -> None:
    outcome = Simulation(pool, 5000, 1, granularity, FREE_COSTS).run()
    assert outcome.makespan >= critical_path_seconds(pool, schedule(), granularity) - 1e-9


def test_per_chunk_tasks_shorten_the_critical_path(pool: list) -> None:  # type: ignore[type-arg]
    plan = schedule()
    assert critical_path_seconds(pool, plan, Granularity.PER_CHUNK) < critical_path_seconds(
        pool, plan, Granularity.PER_MODEL
    )


def test_redis_time_is_counted_and_slows_the_run(pool: list) -> None:  # type: ignore[type-arg]
    free = Simulation(pool, 100, 2, Granularity.PER_CHUNK, FREE_COSTS).run()
    slow_costs = replace(COSTS, take=5e-3)  # a Redis 50x slower at taking
    slow = Simulation(pool, 100, 2, Granularity.PER_CHUNK, slow_costs).run()
    assert free.redis_busy == 0
    assert slow.redis_busy > 0 and slow.redis_ops > slow.tasks * 3
    assert slow.makespan > free.makespan


def test_waking_one_executor_per_task_takes_less_of_redis(pool: list) -> None:  # type: ignore[type-arg]
    herd = Simulation(pool, 300, 2, Granularity.PER_CHUNK, COSTS).run()
    tokens = Simulation(pool, 300, 2, Granularity.PER_CHUNK, COSTS, wake_all=False).run()
    assert tokens.redis_ops < herd.redis_ops
    assert tokens.tasks == herd.tasks


def test_one_redis_serves_fewer_executors_when_tasks_are_shorter() -> None:
    long = redis_limit(COSTS, mean_task_seconds=1.0)
    short = redis_limit(COSTS, mean_task_seconds=0.1)
    assert short["executors_one_redis_serves"] < long["executors_one_redis_serves"]
    assert long["tasks_per_s_one_redis_serves"] == short["tasks_per_s_one_redis_serves"]
