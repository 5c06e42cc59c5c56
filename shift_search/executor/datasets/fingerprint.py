"""Content fingerprints of labelled data: sha256 over every input's bytes and every label."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from shift_search.runtime.errors import InvalidArgument, NotFound

_VERSION = b"shift-dataset-v1"


def fingerprint(digests: np.ndarray, classes: Sequence[Any], labels: np.ndarray) -> str:
    """Hex sha256 that changes when any input, the label set or any label changes; built from
    the per-input digests (`input_digests`), so no input is read or hashed twice."""
    digest = hashlib.sha256(_VERSION)
    digest.update(np.ascontiguousarray(digests, dtype=np.uint8).tobytes())
    digest.update(repr(tuple(classes)).encode())
    digest.update(np.ascontiguousarray(labels, dtype="<i8").tobytes())
    return digest.hexdigest()


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


def input_digests(inputs: Sequence[Any]) -> np.ndarray:
    """A 16-byte blake2b digest of every input (labels excluded): rows [N, 16] of uint8."""
    out = np.empty((len(inputs), 16), dtype=np.uint8)
    for row, item in enumerate(inputs):
        out[row] = np.frombuffer(
            hashlib.blake2b(_input_bytes(item), digest_size=16).digest(), np.uint8
        )
    return out


def rows_fingerprint(digests: np.ndarray, rows: np.ndarray) -> str:
    """Fingerprint of some rows of a segment: their positions and their inputs, not labels.

    Features and 1-NN distances depend only on this, so a label change leaves it unchanged and
    an input change alters only the chunks that hold the changed rows.
    """
    digest = hashlib.sha256(b"shift-rows-v1")
    digest.update(np.ascontiguousarray(rows, dtype="<i8").tobytes())
    digest.update(np.ascontiguousarray(digests[rows]).tobytes())
    return digest.hexdigest()[:32]
