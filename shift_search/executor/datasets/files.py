"""Non-tabular readers: image folders, NumPy .npz archives, Hugging Face datasets saved to disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from shift_search.executor.datasets.read_errors import reason
from shift_search.executor.datasets.rows import (
    IMAGE_SUFFIXES,
    RawRows,
    check_no_missing,
    pick_column,
)
from shift_search.runtime.confinement import inside_data_roots
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound


def read_imagefolder(uri: str, split: str | None) -> RawRows:
    """One sub-folder per class (`root[/split]/<class>/<image>`); files in sorted order."""
    root = Path(uri)
    if split is not None:
        root = inside_data_roots(root / split)
    if not root.is_dir():
        raise NotFound(f"image folder {root} does not exist")
    inputs: list[Any] = []
    labels: list[Any] = []
    for class_dir in sorted(path for path in root.iterdir() if path.is_dir()):
        images = sorted(
            inside_data_roots(p) for p in class_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
        )
        inputs.extend(images)
        labels.extend([class_dir.name] * len(images))
    if not inputs:
        raise InvalidArgument(f"image folder {root} has no class sub-folders holding images")
    return RawRows(inputs, labels, str(root), "image", "label")


def read_numpy(
    uri: str, *, input_column: str | None, label_column: str | None, split: str | None
) -> RawRows:
    """An .npz with arrays x and y (or the named ones; `<name>_<split>` with a split)."""
    path = Path(uri)
    if not path.is_file():
        raise NotFound(f"dataset file {path} does not exist")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise InvalidArgument(f"cannot read NumPy file {path}: {reason(error)}") from None
    with archive:
        names = list(archive.files)
        suffix = f"_{split}" if split else ""
        x_name = pick_column(f"{input_column or 'x'}{suffix}", names, str(path), "input")
        y_name = pick_column(f"{label_column or 'y'}{suffix}", names, str(path), "label")
        x, y = archive[x_name], archive[y_name]
    if len(x) != len(y):
        raise InvalidArgument(f"{path}: {x_name} has {len(x)} rows but {y_name} has {len(y)}")
    inputs = [str(item) for item in x] if x.dtype.kind in "US" else list(x)
    return RawRows(inputs, [item.item() for item in y], str(path), x_name, y_name)


def read_hf_disk(
    uri: str, *, input_column: str | None, label_column: str | None, split: str | None
) -> RawRows:
    """A dataset written by `datasets.save_to_disk` (needs the `datasets` package)."""
    try:
        import datasets
    except ImportError as error:
        raise FailedPrecondition(
            f"reading hf_disk dataset {uri} needs the `datasets` package, which is not installed"
        ) from error
    path = Path(uri)
    if not path.is_dir():
        raise NotFound(f"dataset folder {path} does not exist")
    loaded = datasets.load_from_disk(str(path))
    if isinstance(loaded, datasets.DatasetDict):
        available = list(loaded.keys())
        chosen = split or ("train" if "train" in available else available[0])
        if chosen not in loaded:
            raise NotFound(f"{path} has no split {chosen!r} (splits: {', '.join(available)})")
        loaded = loaded[chosen]
    elif split is not None:
        raise InvalidArgument(f"{path} holds a single split; drop split {split!r}")
    columns = list(loaded.column_names)
    text = pick_column(input_column, columns, str(path), "input")
    label = pick_column(label_column, columns, str(path), "label")
    inputs, labels = list(loaded[text]), list(loaded[label])
    check_no_missing(inputs, str(path), text)
    check_no_missing(labels, str(path), label)
    return RawRows(inputs, labels, str(path), text, label)
