"""Content fingerprints of labelled data: sha256 over every input's bytes and every label."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from services.runtime.errors import InvalidArgument, NotFound

_VERSION = b"shift-dataset-v1"


def fingerprint(inputs: Sequence[Any], classes: Sequence[Any], labels: np.ndarray) -> str:
    """Hex sha256 that changes when any input, the label set or any label changes."""
    digest = hashlib.sha256(_VERSION)
    for part in _input_parts(inputs):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    digest.update(repr(tuple(classes)).encode())
    digest.update(np.ascontiguousarray(labels, dtype="<i8").tobytes())
    return digest.hexdigest()


def _input_parts(inputs: Sequence[Any]) -> Iterable[bytes]:
    for item in inputs:
        yield _input_bytes(item)


def _input_bytes(item: Any) -> bytes:
    match item:
        case str():
            return b"s" + item.encode("utf-8")
        case bytes() | bytearray():
            return b"b" + bytes(item)
        case Path():
            return b"f" + _file_bytes(item)
        case np.ndarray():
            header = f"{item.dtype.str}{item.shape}".encode()
            return b"a" + header + np.ascontiguousarray(item).tobytes()
        case Image.Image():
            return b"i" + f"{item.mode}{item.size}".encode() + item.tobytes()
        case dict() if isinstance(item.get("bytes"), bytes):
            return b"b" + item["bytes"]
        case dict() if item.get("path") is not None:
            return b"f" + _file_bytes(Path(item["path"]))
        case _:
            raise InvalidArgument(f"cannot fingerprint an input of type {type(item).__name__}")


def _file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise NotFound(f"input file {path} cannot be read: {error.strerror}") from error
