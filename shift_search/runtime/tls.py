"""TLS from certificate files (so Kubernetes Secrets and cert-manager work): server credentials
that pick up renewed files on the next handshake, client credentials, and the name a peer's
verified client certificate carries.

One certificate per service serves both ways: it is the server certificate of the service's
own port and the client certificate it shows when it calls another SHiFT service. Its common
name says which service it is (`shift-planner`, `shift-executor`, …; see `access.py`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import grpc

from shift_search.runtime.errors import FailedPrecondition, InvalidArgument

log = logging.getLogger("shift.tls")


@dataclass(frozen=True)
class TLSFiles:
    """A certificate chain and its private key (PEM), and the CA bundle that verifies peers:
    client certificates on a server that requires them, servers on a client channel."""

    cert: Path
    key: Path
    ca: Path | None = None

    @classmethod
    def from_options(
        cls, cert: str | None, key: str | None, ca: str | None = None
    ) -> TLSFiles | None:
        """The files named by flags or settings; None when neither cert nor key is given."""
        if not cert and not key:
            return None
        if not cert or not key:
            raise InvalidArgument(
                "TLS needs both a certificate and its key (--tls-cert, --tls-key)"
            )
        files = cls(Path(cert), Path(key), Path(ca) if ca else None)
        for path in (files.cert, files.key, files.ca):
            if path is not None and not os.access(path, os.R_OK):
                raise FailedPrecondition(f"TLS file {path} does not exist or cannot be read")
        return files


class _Reloading:
    """The certificate configuration of a server, read again when a file changes (a renewed
    Secret, a cert-manager rotation); a half-written file keeps the previous configuration."""

    def __init__(self, files: TLSFiles, require_client_cert: bool) -> None:
        self._files = files
        self._require = require_client_cert
        self._seen = self._stamp()
        self.initial = self._read()

    def _stamp(self) -> tuple[tuple[int, int, int], ...]:
        paths = [p for p in (self._files.cert, self._files.key, self._files.ca) if p is not None]
        out = []
        for path in paths:
            try:
                st = path.stat()
                out.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                out.append((0, 0, 0))
        return tuple(out)

    def _read(self) -> grpc.ServerCertificateConfiguration:
        files = self._files
        ca = files.ca.read_bytes() if files.ca is not None and self._require else None
        return grpc.ssl_server_certificate_configuration(
            [(files.key.read_bytes(), files.cert.read_bytes())], root_certificates=ca
        )

    def __call__(self) -> grpc.ServerCertificateConfiguration | None:
        """gRPC asks before every handshake; None keeps the configuration it has."""
        stamp = self._stamp()
        if stamp == self._seen:
            return None
        try:
            config = self._read()
        except OSError as err:
            log.warning("TLS files changed but cannot be read yet (%s); keeping the old ones", err)
            return None
        self._seen = stamp
        log.info("TLS certificate %s reloaded", self._files.cert)
        return config


def server_credentials(files: TLSFiles, *, require_client_cert: bool) -> grpc.ServerCredentials:
    """TLS for a server port; with `require_client_cert`, only clients whose certificate the
    CA bundle verifies complete the handshake (mutual TLS)."""
    if require_client_cert and files.ca is None:
        raise InvalidArgument("verifying client certificates needs a CA bundle (--tls-ca)")
    reloading = _Reloading(files, require_client_cert)
    return grpc.dynamic_ssl_server_credentials(
        reloading.initial, reloading, require_client_authentication=require_client_cert
    )


def channel_credentials(
    ca: Path | None = None, cert: Path | None = None, key: Path | None = None
) -> grpc.ChannelCredentials:
    """TLS for a client channel: servers verified by `ca` (else the system's roots); with
    `cert` and `key`, the client shows that certificate (service-to-service calls)."""
    if (cert is None) != (key is None):
        raise InvalidArgument("a client certificate needs both the certificate and its key")
    return grpc.ssl_channel_credentials(
        root_certificates=ca.read_bytes() if ca is not None else None,
        private_key=key.read_bytes() if key is not None else None,
        certificate_chain=cert.read_bytes() if cert is not None else None,
    )


def service_channel_credentials(files: TLSFiles | None) -> grpc.ChannelCredentials | None:
    """How one SHiFT service calls another: mutual TLS with its own certificate, or None
    (plaintext) when it has no TLS files."""
    if files is None:
        return None
    return channel_credentials(files.ca, files.cert, files.key)


def peer_certificate_name(context: grpc.ServicerContext) -> str | None:
    """The common name of the client certificate the peer showed and the server verified, or
    None on a plaintext connection or without a client certificate."""
    auth = context.auth_context()
    if auth.get("transport_security_type") != [b"ssl"]:
        return None
    names = auth.get("x509_common_name") or []
    return names[0].decode("utf-8", "replace") if names else None
