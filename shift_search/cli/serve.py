"""`shift serve`: all four services in one process, or one service alone."""

from __future__ import annotations

import argparse
import os
from dataclasses import replace

import grpc

from shift_search.cache.store import Store
from shift_search.cli import exposure as security
from shift_search.cli.exposure import is_loopback
from shift_search.queue import open_queue
from shift_search.queue.interface import TaskQueue
from shift_search.queue.memory import InProcessQueue
from shift_search.runtime import confinement
from shift_search.runtime.callers import Local
from shift_search.runtime.metrics import add_metrics_argument, serve_metrics_from, watch_queue
from shift_search.runtime.server import DRAIN_SECONDS, Registration, ServiceServer
from shift_search.runtime.settings import DEFAULT_PORT, Settings

QUEUE_ENV = "SHIFT_QUEUE_URL"

SERVICES = ("all", "parser", "planner", "executor", "cache")
INTERNAL = ("shift.v1.CacheService", "shift.v1.ExecutorService")
"""What the planner calls: served to it on the private socket of `shift serve` (all), never
on the public port."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "service",
        nargs="?",
        default="all",
        choices=SERVICES,
        help="run one service alone (default: all four on one port)",
    )
    parser.add_argument(
        "--host",
        default=os.environ.get("SHIFT_HOST", "127.0.0.1"),
        help="address to listen on (0.0.0.0 in containers)",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--cache", help="cache service address (planner, executor)")
    parser.add_argument(
        "--queue",
        default=os.environ.get(QUEUE_ENV),
        help="the work queue planners and executors meet on: redis://[:PASSWORD@]HOST:PORT/DB "
        f"(planner, executor; default ${QUEUE_ENV}, else $SHIFT_REDIS_URL; `shift serve` with "
        "all four: in-process unless given)",
    )
    parser.add_argument(
        "--parser",
        help="parser service address (planner): parse through it (default: in the planner)",
    )
    parser.add_argument(
        "--store",
        help="store URL for the cache: redis://… or sqlite:///… "
        "(default: $SHIFT_REDIS_URL, else the embedded SQLite)",
    )
    parser.add_argument("--slots", type=int, help="executor tasks at once (default: 1)")
    parser.add_argument("--device", help="executor device: cpu, cuda, cuda:1 (default: auto)")
    parser.add_argument(
        "--executor-id",
        default=os.environ.get("SHIFT_EXECUTOR_ID"),
        help="the executor's name on the queue and in `shift status` (default: host-pid-random)",
    )
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=DRAIN_SECONDS,
        help="on SIGTERM, how long an executor lets its running tasks finish before handing "
        f"them back to the queue (default {DRAIN_SECONDS:g})",
    )
    add_metrics_argument(parser)
    security.add_arguments(parser)


def build(args: argparse.Namespace, queue: TaskQueue | None = None) -> ServiceServer:
    """Bind, register the chosen services, and return the server (not started).

    Planners and executors meet on the work queue: `queue` when given (an in-process queue
    shared with the caller: benchmarks, tests), else the one `--queue` names (in-process for
    all four in one process). An executor joins the queue here: one that cannot reach it fails
    at once, naming it.

    With all four services in one process, the planner reaches the cache and executor through a
    second server on a private Unix socket, with its own threads: a query holds a server thread
    while it runs, so on one shared pool as many queries as threads would leave none for the
    calls they wait on, and every query would stall until its deadline. The cache and executor
    are served there only: the public port answers QueryService, ParserService, health and
    reflection.
    """
    exposure = security.Exposure.from_args(args)
    confinement.configure(exposure.roots)
    service = args.service
    if service in ("cache", "executor", "parser"):  # called by other SHiFT services only
        server = exposure.internal_server(args.port)
    else:
        server = exposure.public_server(args.port)
    settings = Settings()
    internal = (
        ServiceServer.private_socket(role="for the planner's own calls")
        if service == "all"
        else None
    )
    own = internal.address if internal is not None else server.address
    outbound = None if internal is not None else exposure.outbound()
    registrations: list[Registration] = []
    work = None
    if service in ("all", "planner", "executor"):
        work = queue or _work_queue(getattr(args, "queue", None), service, settings)
    store = _store(args.store or settings.redis_url) if service in ("all", "cache") else None
    if store is not None:
        registrations.append(_cache(store))
    if service in ("all", "parser"):
        from shift_search.parser.service import registration as parser_registration

        registrations.append(parser_registration())
    if service in ("all", "executor"):
        from shift_search.executor.service import registration as executor_registration

        assert work is not None
        cache = own if service == "all" else _required(args.cache, "--cache", service)
        drain = _or(getattr(args, "drain_seconds", None), DRAIN_SECONDS)
        if isinstance(work, InProcessQueue):  # nobody else could take what it hands back
            drain = 0.0
        registrations.append(
            executor_registration(
                cache,
                work,
                slots=args.slots or settings.executor_slots,
                device=args.device or settings.device,
                cache_credentials=outbound,
                executor_id=getattr(args, "executor_id", None),
                drain_seconds=drain,
                warm=service == "executor",  # a process of its own joins the queue ready
            )
        )
    if service in ("all", "planner"):
        assert work is not None
        if service == "all":
            registrations += _planner(
                store if store is not None else own,
                work,
                with_parser=False,
                credentials=None,
                parser_address=args.parser,
                parser_credentials=exposure.outbound(),
            )
        else:
            registrations += _planner(
                _required(args.cache, "--cache", service),
                work,
                with_parser=True,
                credentials=outbound,
                parser_address=args.parser,
                parser_credentials=outbound,
            )
    if internal is not None:
        # the cache and executor only there; the public server runs their shutdown hooks
        internal.add(*(replace(r, on_stop=None) for r in registrations if r.name in INTERNAL))
        server.attach(internal)
        for reg in registrations:
            if reg.name in INTERNAL and reg.on_stop is not None:
                server.on_stop(reg.on_stop)
        registrations = [r for r in registrations if r.name not in INTERNAL]
    server.add(*registrations)
    return server


def _store(store_url: str | None) -> Store:
    from shift_search.cache.stores import open_store

    return open_store(store_url)


def _cache(store: Store) -> Registration:
    from shift_search.cache.service import registration as cache_registration

    return cache_registration(store)


def _work_queue(url: str | None, service: str, settings: Settings) -> TaskQueue:
    """The queue `--queue` names; a planner or executor alone needs Redis (falling back to
    $SHIFT_REDIS_URL), all four in one process use an in-process queue unless told."""
    if service != "all":
        url = url or settings.redis_url
        if not url:
            raise SystemExit(
                f"shift serve {service}: --queue redis://HOST:PORT/DB is required (or "
                f"${QUEUE_ENV} / $SHIFT_REDIS_URL): planners and executors meet on that queue"
            )
    return open_queue(url)


def _planner(
    cache: str | Store,
    queue: TaskQueue,
    *,
    with_parser: bool,
    credentials: grpc.ChannelCredentials | None,
    parser_address: str | None = None,
    parser_credentials: grpc.ChannelCredentials | None = None,
) -> list[Registration]:
    """The QueryService, putting its tasks on `queue` and parsing through the ParserService
    at `parser_address` (in-process without one); a planner alone also answers ParserService
    itself. `cache`: the cache service's address, or the store of the cache served in this
    process, which the planner then calls directly (no loopback round trips). `credentials`:
    mutual TLS to the cache; `parser_credentials`: to the parser."""
    from shift_search.cache.calls import CacheCalls
    from shift_search.cache.client import CacheClient
    from shift_search.cache.in_process import InProcessCache
    from shift_search.cache.sqlite_store import SQLiteStore
    from shift_search.parser.service import registration as parser_registration
    from shift_search.planner.coordinator import Coordinator
    from shift_search.planner.executors import ExecutorPool
    from shift_search.planner.parsing import InProcessParser, ParserClient, ScriptParser
    from shift_search.planner.service import registration as planner_registration
    from shift_search.planner.session import Sessions
    from shift_search.queue.memory import InProcessQueue

    calls: CacheCalls = (
        CacheClient(cache, credentials=credentials)
        if isinstance(cache, str)
        else InProcessCache(cache, caller=Local())
    )
    pool = ExecutorPool(queue)
    watch_queue(queue)  # the queue's length and pending entries on /metrics
    parser: ScriptParser = (
        ParserClient(parser_address, parser_credentials) if parser_address else InProcessParser()
    )
    # planning may run on the public port's event loop when nothing it reads waits on a network
    inline = isinstance(parser, InProcessParser) and isinstance(cache, SQLiteStore)
    inline = inline and isinstance(queue, InProcessQueue)
    coordinator = Coordinator(calls, pool, Sessions(calls), parser, inline=inline)
    regs = [planner_registration(coordinator)]
    return [*regs, parser_registration()] if with_parser else regs


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def _required(value: str | None, flag: str, service: str) -> str:
    if not value:
        raise SystemExit(f"shift serve {service}: {flag} is required")
    return value


def run(args: argparse.Namespace) -> int:
    from shift_search.runtime.log import configure_logging

    configure_logging()
    server = build(args)
    metrics = serve_metrics_from(args, "127.0.0.1" if is_loopback(args.host) else "0.0.0.0")
    if metrics is not None:
        server.on_stop(metrics.stop)
    server.start()
    server.stop_on_signals()
    print(f"SHiFT {args.service} listening on {server.address}", flush=True)
    server.wait()
    return 0
