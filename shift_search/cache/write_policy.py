"""Which keys each SHiFT service may write through PutValues and PutBlob.

Stored results are written only by executors (features, 1-NN summaries, proxy and fine-tune
results, and the benchmark result of each fine-tune): a planner may write successive-halving
state, session variables and benchmark results loaded by a writer, nothing else.
A local caller (the private socket of `shift serve`, a plaintext internal port on loopback)
is trusted; on an internal port with mutual TLS the caller is the service its client
certificate names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from shift_search.cache import keys
from shift_search.runtime.callers import Component, Local, Service, User, current_caller
from shift_search.runtime.errors import PermissionDenied

WRITABLE: Mapping[Component, tuple[str, ...]] = {
    "executor": (keys.FEATURES, keys.NN_SUMMARIES, keys.RESULTS, keys.BENCHMARK_RESULTS),
    "planner": (keys.SH_STATES, keys.SESSIONS, keys.BENCHMARK_RESULTS),
}


def check_writes(written: Iterable[str]) -> None:
    """Raise PermissionDenied unless the caller may write every key in `written`."""
    caller = current_caller()
    match caller:
        case Local():
            return
        case Service(component=component, name=name):
            allowed = WRITABLE.get(component, ())
            refused = [key for key in written if not key.startswith(allowed)]
            if refused:
                raise PermissionDenied(
                    f"the {component} ({name}) may not write {_kind(refused[0])} "
                    f"({len(refused)} key(s) refused)"
                )
        case User(name=name):
            raise PermissionDenied(f"users ({name}) never write the cache directly")


def _kind(key: str) -> str:
    """A key's family for messages (`shift:v1:res:…` → res)."""
    return key.removeprefix(keys.PREFIX).split(":", 1)[0] or "keys"
