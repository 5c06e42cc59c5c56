"""The model zoo's pieces that need no real training: the build cache, truncation, random
initialisation, the YAML it writes, ONNX parameter counting, and the pool's shape."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from bench.zoo.build import BuildContext, Built, Measured, Measurement, Outcome, build_pool
from bench.zoo.command import register, write_yaml
from bench.zoo.data import FORBIDDEN, text_split
from bench.zoo.manifest import MANIFEST_FILE, Spec, file_sha256
from bench.zoo.measure import onnx_param_count
from bench.zoo.pool import pool_specs
from bench.zoo.text import copy_tokenizer, random_init, truncate_layers
from shift_search.cache.client import CacheClient
from shift_search.cache.records import ModelRecord
from shift_search.cli.register import records_from_yaml
from shift_search.cli.serve import build
from shift_search.client import QueryError
from shift_search.executor.finetuning.train import finetune
from shift_search.executor.loaders.registry import load_encoder
from tests.tiny_world import make_tiny_bert


class FakeZoo:
    """Builders that write small files and count their calls; a measure that needs no model."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def build(self, spec: Spec, context: BuildContext) -> Built:
        self.calls[spec.name] += 1
        path = context.root / f"{spec.name}.bin"
        path.write_text(json.dumps(dict(spec.params)))
        fields = {"finetuned": spec.parent is not None, "parent": spec.parent}
        return Built(str(path), "local", [path], fields, {"variant": "fake"}, {"data": "none"})

    def measure(self, record: ModelRecord) -> Measured:
        self.calls["measure"] += 1
        return Measured(num_params=10, dimension=4, inference_cost=1.5, load_cost=0.1)

    def pool(self, specs: list[Spec], root: Path, version: int = 0) -> list[Outcome]:
        measurement = Measurement(self.measure, version)
        return build_pool(specs, root, {"fake": self.build}, measurement, log=lambda _: None)

    def run(self, specs: list[Spec], root: Path) -> list[bool]:
        return [o.reused for o in self.pool(specs, root)]


def _specs(size: int = 1) -> list[Spec]:
    return [Spec("base", "text", "fake", {"size": size}), Spec("child", "text", "fake", {}, "base")]


def test_second_build_reuses_everything(tmp_path: Path) -> None:
    zoo = FakeZoo()
    assert zoo.run(_specs(), tmp_path) == [False, False]
    assert zoo.run(_specs(), tmp_path) == [True, True]
    assert zoo.calls == {"base": 1, "child": 1, "measure": 2}
    entry = json.loads((tmp_path / MANIFEST_FILE).read_text())["models"]["child"]
    assert entry["files"] == {"child.bin": file_sha256(tmp_path / "child.bin")}
    assert entry["record"]["parent"] == "base" and entry["provenance"] == {"data": "none"}


def test_a_changed_file_rebuilds_only_that_model(tmp_path: Path) -> None:
    zoo = FakeZoo()
    zoo.run(_specs(), tmp_path)
    (tmp_path / "child.bin").write_text("tampered")
    assert zoo.run(_specs(), tmp_path) == [True, False]


def test_a_changed_recipe_rebuilds_the_model_and_its_children(tmp_path: Path) -> None:
    zoo = FakeZoo()
    zoo.run(_specs(size=1), tmp_path)
    assert zoo.run(_specs(size=2), tmp_path) == [False, False]
    assert zoo.calls == {"base": 2, "child": 2, "measure": 4}


def test_a_new_measure_version_measures_again_without_rebuilding(tmp_path: Path) -> None:
    zoo = FakeZoo()
    zoo.pool(_specs(), tmp_path, version=1)
    assert [o.reused for o in zoo.pool(_specs(), tmp_path, version=2)] == [True, True]
    assert zoo.calls == {"base": 1, "child": 1, "measure": 4}
    entry = json.loads((tmp_path / MANIFEST_FILE).read_text())["models"]["base"]
    assert entry["measure_version"] == 2


def test_records_carry_measured_figures_and_a_content_revision(tmp_path: Path) -> None:
    zoo = FakeZoo()
    zoo.pool(_specs(), tmp_path)
    child = zoo.pool(_specs(), tmp_path)[1]
    record = child.record
    assert (record.num_params, record.dimension, record.inference_cost) == (10, 4, 1.5)
    assert record.revision == file_sha256(tmp_path / "child.bin")[:12]
    assert record.finetuned and record.tags["derived_from"] == "base"


def test_yaml_loads_with_shift_register(tmp_path: Path) -> None:
    zoo = FakeZoo()
    outcomes = zoo.pool(_specs(), tmp_path)
    records = [o.record for o in outcomes]
    path = write_yaml(records, tmp_path / "zoo.yaml")
    assert records_from_yaml(path.read_text(), str(path)) == records


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bert(tmp_path_factory.mktemp("tiny_bert"), layers=3)


def _params(folder: Path) -> int:
    encoder = load_encoder("huggingface", str(folder), device="cpu")
    return sum(p.numel() for p in encoder.trainable().parameters())


def test_truncation_keeps_the_first_layers_and_loads(tiny_bert: Path, tmp_path: Path) -> None:
    folder = truncate_layers(tiny_bert, tmp_path / "cut", 1)
    assert json.loads((folder / "config.json").read_text())["num_hidden_layers"] == 1
    assert (folder / "vocab.txt").is_file() and (folder / "model.safetensors").is_file()
    encoder = load_encoder("huggingface", str(folder), device="cpu")
    assert encoder.embed(["good food", "bad"]).shape == (2, 32)
    assert _params(folder) < _params(tiny_bert)
    with pytest.raises(ValueError):
        truncate_layers(tiny_bert, tmp_path / "all", 3)


def test_random_init_is_seeded(tiny_bert: Path, tmp_path: Path) -> None:
    first = random_init(tiny_bert, tmp_path / "a", seed=0) / "model.safetensors"
    again = random_init(tiny_bert, tmp_path / "b", seed=0) / "model.safetensors"
    other = random_init(tiny_bert, tmp_path / "c", seed=1) / "model.safetensors"
    assert file_sha256(first) == file_sha256(again) != file_sha256(other)
    assert _params(tmp_path / "a") == _params(tiny_bert)


def _field(number: int, payload: bytes) -> bytes:
    return bytes([number << 3 | 2, len(payload)]) + payload


def test_onnx_parameters_count_float_initializers_only(tmp_path: Path) -> None:
    floats = _field(1, bytes([3, 4])) + bytes([2 << 3, 1])  # dims [3, 4] packed, FLOAT
    ints = bytes([1 << 3, 5, 2 << 3, 7])  # dims [5] unpacked, INT64
    graph = _field(5, floats) + _field(5, ints) + _field(1, b"node")
    path = tmp_path / "model.onnx"
    path.write_bytes(bytes([1 << 3, 8]) + _field(7, graph))
    assert onnx_param_count(path) == 12


def test_pools_are_large_enough_ordered_and_never_train_on_downstream_tasks() -> None:
    for quick, text, image in ((False, 10, 6), (True, 4, 3)):
        specs = pool_specs(quick)
        assert sum(s.modality == "text" for s in specs) >= text
        assert sum(s.modality == "image" for s in specs) >= image
        seen: set[str] = set()
        for spec in specs:
            assert spec.parent is None or spec.parent in seen
            assert spec.params.get("task") not in FORBIDDEN
            seen.add(spec.name)
    with pytest.raises(ValueError, match="downstream"):
        text_split("tweet_sentiment", 10, 10, 0)


def test_a_finetuned_folder_with_copied_tokenizer_loads_back(
    tiny_bert: Path, tmp_path: Path
) -> None:
    encoder = load_encoder("huggingface", str(tiny_bert), device="cpu")
    texts, labels = ["good great", "bad awful", "nice love", "poor sad"], [1, 0, 1, 0]
    folder = tmp_path / "tuned"
    finetune(encoder, texts, labels, texts, labels, num_classes=2, epochs=1, output_dir=folder)
    copy_tokenizer(tiny_bert, folder)
    again = load_encoder("huggingface", str(folder), device="cpu")
    assert again.embed(texts).shape == (4, 32)


def test_register_sends_the_pool_to_a_server(tmp_path: Path) -> None:
    """The records arrive whole; the server loads each model once, so the fake builds (files no
    loader reads) are refused, and loadable weights in their place are registered."""
    zoo = FakeZoo()
    outcomes = zoo.pool(_specs(), tmp_path)
    args = argparse.Namespace(
        service="all", host="127.0.0.1", port=0, cache=None, executors=None, parser=None,
        store=f"sqlite:///{tmp_path / 'shift.sqlite3'}", slots=1, device="cpu",
    )  # fmt: skip
    server = build(args).start()
    try:
        with pytest.raises(QueryError, match="unknown model source 'local'"):
            register([o.record for o in outcomes], server.address)
        bert = str(make_tiny_bert(tmp_path / "bert"))
        records = [replace(o.record, source="huggingface", uri=bert) for o in outcomes]
        register(records, server.address)
        cache = CacheClient(server.internal_address)
        stored = cache.get_model("child")
        cache.close()
        tags = {k: v for k, v in stored.tags.items() if k != "profiled_on"}
        expected = records[1]  # the zoo's measured costs win over the server's
        assert replace(stored, date_added=expected.date_added, tags=tags) == expected
    finally:
        server.stop(grace=0.1)
