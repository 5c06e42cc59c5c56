"""Dataset readers on small files written to tmp_path."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from shift_search.executor.datasets.reader import encode_labels, parse_slice, read_dataset
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound

ROWS: list[dict[str, object]] = [
    {"text": "good food", "label": "pos"},
    {"text": "awful", "label": "neg"},
    {"text": "fine", "label": "neutral"},
    {"text": "great taste", "label": "pos"},
]


def write_csv(path: Path, rows: Sequence[Mapping[str, object]] = ROWS) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_csv_maps_labels_to_sorted_indices(tmp_path: Path) -> None:
    data = read_dataset(
        "csv", str(write_csv(tmp_path / "d.csv")), input_column="text", label_column="label"
    )
    assert data.inputs == ["good food", "awful", "fine", "great taste"]
    assert data.classes == ("neg", "neutral", "pos")
    assert data.labels.tolist() == [2, 0, 1, 2] and data.labels.dtype == np.int64
    assert len(data) == 4 and len(data.fingerprint) == 64


def test_default_columns_are_found_by_convention(tmp_path: Path) -> None:
    data = read_dataset(
        "csv", str(write_csv(tmp_path / "d.csv")), input_column=None, label_column=None
    )
    assert (data.input_column, data.label_column) == ("text", "label")


def test_integer_labels_sort_numerically(tmp_path: Path) -> None:
    rows = [{"text": str(i), "label": value} for i, value in enumerate([10, 2, 2, 33])]
    data = read_dataset(
        "csv", str(write_csv(tmp_path / "d.csv", rows)), input_column="text", label_column="label"
    )
    assert data.classes == (2, 10, 33) and data.labels.tolist() == [1, 0, 0, 2]


def test_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(
        "".join(json.dumps({"sentence": r["text"], "y": r["label"]}) + "\n" for r in ROWS)
    )
    data = read_dataset("jsonl", str(path), input_column="sentence", label_column="y")
    assert data.inputs[1] == "awful" and data.labels.tolist() == [2, 0, 1, 2]


def test_parquet_reads_or_says_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    if importlib.util.find_spec("pyarrow") is None:
        path.write_bytes(b"PAR1")
        with pytest.raises(FailedPrecondition, match="pyarrow"):
            read_dataset("parquet", str(path), input_column="text", label_column="label")
        return
    pd.DataFrame(ROWS).to_parquet(path)
    data = read_dataset("parquet", str(path), input_column="text", label_column="label")
    assert data.labels.tolist() == [2, 0, 1, 2]


def test_a_folder_of_table_files_has_named_splits(tmp_path: Path) -> None:
    write_csv(tmp_path / "train.csv")
    write_csv(tmp_path / "test.csv", ROWS[:2])
    test = read_dataset(
        "csv", str(tmp_path), input_column="text", label_column="label", split="test"
    )
    assert len(test) == 2
    assert len(read_dataset("csv", str(tmp_path), input_column="text", label_column="label")) == 4
    with pytest.raises(InvalidArgument, match="no named splits"):
        read_dataset(
            "csv", str(tmp_path / "train.csv"), input_column="text", label_column="label", split="x"
        )


def test_slice_takes_rows_before_label_encoding(tmp_path: Path) -> None:
    path = str(write_csv(tmp_path / "d.csv"))
    data = read_dataset("csv", path, input_column="text", label_column="label", slice="1:3")
    assert data.inputs == ["awful", "fine"] and data.classes == ("neg", "neutral")
    assert (
        read_dataset("csv", path, input_column="text", label_column="label", slice=":-1").inputs[-1]
        == "fine"
    )
    assert parse_slice("2:") == (2, None)
    with pytest.raises(InvalidArgument, match="start:stop"):
        read_dataset("csv", path, input_column="text", label_column="label", slice="1-3")
    with pytest.raises(InvalidArgument, match="no rows"):
        read_dataset("csv", path, input_column="text", label_column="label", slice="3:1")


def test_errors_name_the_file_and_the_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "reviews.csv")
    with pytest.raises(NotFound, match=r"reviews\.csv.*'txt'.*did you mean \"text\""):
        read_dataset("csv", str(path), input_column="txt", label_column="label")
    with pytest.raises(NotFound, match=r"missing\.csv does not exist"):
        read_dataset(
            "csv", str(tmp_path / "missing.csv"), input_column="text", label_column="label"
        )
    with pytest.raises(InvalidArgument, match="unknown dataset format 'xlsx'"):
        read_dataset("xlsx", str(path), input_column="text", label_column="label")
    write_csv(tmp_path / "holes.csv", [*ROWS, {"text": "odd", "label": None}])
    with pytest.raises(InvalidArgument, match=r"holes\.csv.*'label'.*row 4"):
        read_dataset("csv", str(tmp_path / "holes.csv"), input_column="text", label_column="label")
    pd.DataFrame({"a": [1], "b": [2]}).to_csv(tmp_path / "odd.csv", index=False)
    with pytest.raises(InvalidArgument, match=r"odd\.csv.*input column"):
        read_dataset("csv", str(tmp_path / "odd.csv"), input_column=None, label_column="b")


def test_fingerprint_follows_the_content(tmp_path: Path) -> None:
    def fingerprint(rows: Sequence[Mapping[str, object]], name: str) -> str:
        path = write_csv(tmp_path / name, rows)
        return read_dataset("csv", str(path), input_column="text", label_column="label").fingerprint

    same = fingerprint(ROWS, "a.csv")
    assert same == fingerprint(ROWS, "b.csv")
    assert same != fingerprint([{**ROWS[0], "text": "good food!"}, *ROWS[1:]], "c.csv")
    assert same != fingerprint([{**ROWS[0], "label": "neg"}, *ROWS[1:]], "d.csv")


def make_image_folder(root: Path) -> None:
    for label, shade in (("cats", 30), ("dogs", 200)):
        (root / label).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (6, 6), color=(shade + i, 0, 0)).save(root / label / f"{i}.png")
    (root / "dogs" / "notes.txt").write_text("not an image")


def test_imagefolder_has_one_class_per_sub_folder(tmp_path: Path) -> None:
    make_image_folder(tmp_path / "train")
    data = read_dataset(
        "imagefolder", str(tmp_path), input_column=None, label_column=None, split="train"
    )
    assert data.classes == ("cats", "dogs") and data.labels.tolist() == [0, 0, 1, 1]
    assert all(isinstance(item, Path) and item.suffix == ".png" for item in data.inputs)
    with pytest.raises(NotFound, match="does not exist"):
        read_dataset(
            "imagefolder", str(tmp_path), input_column=None, label_column=None, split="test"
        )


def test_image_paths_in_a_table_resolve_beside_the_file(tmp_path: Path) -> None:
    make_image_folder(tmp_path / "imgs")
    rows: list[dict[str, object]] = [
        {"image": "imgs/cats/0.png", "label": "c"},
        {"image": "imgs/dogs/1.png", "label": "d"},
    ]
    data = read_dataset(
        "csv", str(write_csv(tmp_path / "d.csv", rows)), input_column="image", label_column="label"
    )
    assert data.inputs == [tmp_path / "imgs/cats/0.png", tmp_path / "imgs/dogs/1.png"]
    (tmp_path / "imgs/cats/0.png").unlink()
    with pytest.raises(NotFound, match=r"0\.png"):
        read_dataset("csv", str(tmp_path / "d.csv"), input_column="image", label_column="label")


def test_numpy_archives_with_default_and_split_arrays(tmp_path: Path) -> None:
    images = np.arange(3 * 8 * 8, dtype=np.uint8).reshape(3, 8, 8)
    np.savez(
        tmp_path / "d.npz", x=images, y=np.array([5, 3, 5]), x_test=images[:1], y_test=np.array([1])
    )
    data = read_dataset("numpy", str(tmp_path / "d.npz"), input_column=None, label_column=None)
    assert len(data.inputs) == 3 and data.inputs[0].shape == (8, 8)
    assert data.classes == (3, 5) and data.labels.tolist() == [1, 0, 1]
    test = read_dataset(
        "numpy", str(tmp_path / "d.npz"), input_column=None, label_column=None, split="test"
    )
    assert len(test) == 1
    with pytest.raises(NotFound, match=r"d\.npz.*'pixels'"):
        read_dataset("numpy", str(tmp_path / "d.npz"), input_column="pixels", label_column=None)


def test_numpy_text_arrays_become_strings(tmp_path: Path) -> None:
    np.savez(tmp_path / "t.npz", x=np.array(["a b", "c"]), y=np.array([0, 1]))
    data = read_dataset("numpy", str(tmp_path / "t.npz"), input_column=None, label_column=None)
    assert data.inputs == ["a b", "c"]


def test_hf_disk_reads_a_saved_dataset(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    saved = datasets.DatasetDict(
        {"train": datasets.Dataset.from_list(ROWS), "test": datasets.Dataset.from_list(ROWS[:2])}
    )
    saved.save_to_disk(str(tmp_path / "hf"))
    data = read_dataset(
        "hf_disk", str(tmp_path / "hf"), input_column="text", label_column="label", split="train"
    )
    assert data.labels.tolist() == [2, 0, 1, 2]
    test = read_dataset(
        "hf_disk", str(tmp_path / "hf"), input_column="text", label_column="label", split="test"
    )
    assert len(test) == 2


def test_hf_disk_needs_the_datasets_package(tmp_path: Path) -> None:
    if importlib.util.find_spec("datasets") is not None:
        pytest.skip("datasets is installed")
    with pytest.raises(FailedPrecondition, match="datasets"):
        read_dataset("hf_disk", str(tmp_path), input_column="text", label_column="label")


def test_builtin_digits_are_8x8_uint8_images() -> None:
    data = read_dataset("builtin", "digits", input_column=None, label_column=None, slice=":100")
    assert len(data) == 100 and data.inputs[0].shape == (8, 8) and data.inputs[0].dtype == np.uint8
    assert data.classes == tuple(range(10))


def test_unknown_builtin_suggests_close_names() -> None:
    with pytest.raises(NotFound, match='did you mean "fine_food_train"'):
        read_dataset("builtin", "fine_food_trian", input_column=None, label_column=None)
    with pytest.raises(InvalidArgument, match="no split"):
        read_dataset("builtin", "digits", input_column=None, label_column=None, split="train")


def test_encode_labels_handles_mixed_types() -> None:
    classes, labels = encode_labels([1, "a", 1])
    assert classes == (1, "a") and labels.tolist() == [0, 1, 0]
