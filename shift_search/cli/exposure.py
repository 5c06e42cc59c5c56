"""How `shift serve` exposes its ports, from its flags (or the matching environment variables).

- On loopback, plaintext without tokens is the single-user default, and the log says so.
- On any other address, the public port (planner, or all four) needs TLS and a token file, and
  a cache, executor or parser alone needs TLS with client-certificate verification (mutual
  TLS: only SHiFT services get in); `--insecure` is the explicit way to do without.
- `shift serve` (all four) serves the cache and executor to its planner on a private Unix
  socket only, never on the public port.
- Files come from `--data-root` / `--model-root` (see runtime/confinement.py).
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import grpc

from shift_search.runtime.access import AccessPolicy, OpenAccess, PeerAccess, TokenAccess
from shift_search.runtime.confinement import Roots, roots_from_env
from shift_search.runtime.errors import FailedPrecondition
from shift_search.runtime.limits import INTERNAL_LIMITS, PUBLIC_LIMITS
from shift_search.runtime.server import ServiceServer
from shift_search.runtime.tls import TLSFiles, server_credentials, service_channel_credentials
from shift_search.runtime.tokens import TokenFile

log = logging.getLogger("shift.serve")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    env = os.environ.get
    data_roots, model_roots = roots_from_env()
    group = parser.add_argument_group("security (see docs/security.md)")
    group.add_argument("--tls-cert", default=env("SHIFT_TLS_CERT"), help="certificate (PEM)")
    group.add_argument("--tls-key", default=env("SHIFT_TLS_KEY"), help="its private key (PEM)")
    group.add_argument(
        "--tls-ca",
        default=env("SHIFT_TLS_CA"),
        help="CA bundle that verifies other SHiFT services (their client and server certificates)",
    )
    group.add_argument(
        "--tokens", default=env("SHIFT_TOKENS"), help="token file (`shift token issue`)"
    )
    group.add_argument(
        "--insecure",
        action="store_true",
        help="allow a non-loopback address without TLS and tokens (trusted networks only)",
    )
    group.add_argument(
        "--health-port",
        type=int,
        default=int(env("SHIFT_HEALTH_PORT") or 0) or None,
        help="also answer plaintext health checks (only) on this port, for probes",
    )
    group.add_argument(
        "--data-root",
        action="append",
        default=data_roots,
        help="read datasets only under this folder (repeatable; $SHIFT_DATA_ROOTS)",
    )
    group.add_argument(
        "--model-root",
        action="append",
        default=model_roots,
        help="read models only under this folder (repeatable; $SHIFT_MODEL_ROOTS)",
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Exposure:
    """The security of one `shift serve` process."""

    host: str
    tls: TLSFiles | None
    tokens: Path | None
    insecure: bool
    health_port: int | None
    roots: Roots

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Exposure:
        """From parsed flags; a Namespace built by hand (tests, `shift demo`) may leave the
        security flags out: plaintext on loopback, no tokens, unconfined."""
        option = lambda name: getattr(args, name, None)  # noqa: E731
        loopback = is_loopback(args.host)
        tokens = option("tokens")
        return cls(
            host=args.host,
            tls=TLSFiles.from_options(option("tls_cert"), option("tls_key"), option("tls_ca")),
            tokens=Path(tokens) if tokens else None,
            insecure=bool(option("insecure")),
            health_port=option("health_port"),
            roots=Roots.of(
                option("data_root") or [], option("model_root") or [], local_only=loopback
            ),
        )

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def public_server(self, port: int) -> ServiceServer:
        """The port users call: QueryService, ParserService, health, reflection."""
        if not self.loopback and not self.insecure and (self.tls is None or self.tokens is None):
            raise FailedPrecondition(
                f"listening on {self.host} needs TLS (--tls-cert, --tls-key) and a token file "
                "(--tokens); pass --insecure to serve without them on a trusted network"
            )
        access: AccessPolicy = OpenAccess()
        if self.tokens is not None:
            access = TokenAccess(TokenFile(self.tokens))
        credentials = None
        if self.tls is not None:
            credentials = server_credentials(self.tls, require_client_cert=False)
        self._say("public", credentials is not None, "bearer tokens" if self.tokens else None)
        return ServiceServer(
            host=self.host,
            port=port,
            credentials=credentials,
            access=access,
            limits=PUBLIC_LIMITS,
            health_port=self.health_port,
            asynchronous=True,  # grpc.aio: I/O on one event loop, not a thread per call
        )

    def internal_server(self, port: int) -> ServiceServer:
        """The port of a cache, executor or parser running alone: only SHiFT services call
        it (the planner serves ParserService to users in-process)."""
        if not self.loopback and not self.insecure and (self.tls is None or self.tls.ca is None):
            raise FailedPrecondition(
                f"listening on {self.host} needs mutual TLS (--tls-cert, --tls-key, and --tls-ca "
                "to verify the callers' certificates); pass --insecure to serve without it"
            )
        access: AccessPolicy = OpenAccess()
        credentials = None
        if self.tls is not None:
            credentials = server_credentials(self.tls, require_client_cert=True)
            access = PeerAccess()
        self._say(
            "internal", credentials is not None, "client certificates" if credentials else None
        )
        return ServiceServer(
            host=self.host,
            port=port,
            credentials=credentials,
            access=access,
            limits=INTERNAL_LIMITS,
            health_port=self.health_port,
        )

    def outbound(self) -> grpc.ChannelCredentials | None:
        """How this process calls other SHiFT services: mutual TLS with its certificate."""
        return service_channel_credentials(self.tls)

    def _say(self, port: str, secure: bool, auth: str | None) -> None:
        transport = "TLS" if secure else "plaintext"
        who = f"callers authenticated by {auth}" if auth else "no authentication"
        if not secure and auth is None and self.loopback:
            log.info(
                "%s port: %s on loopback, %s: anyone on this machine can use it "
                "(see docs/security.md)",
                port,
                transport,
                who,
            )
        elif not secure and auth is None:
            log.warning("%s port: %s, %s: ANYONE who reaches it can use it", port, transport, who)
        else:
            log.info("%s port: %s, %s", port, transport, who)
        log.info("files: %s", self.roots.describe())
