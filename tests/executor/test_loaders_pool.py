"""The benchmark pool's loaders on tiny models made here: torchvision-layout CNN trunks (without
torchvision), ONNX image classifiers cut at their penultimate layer, ONNX graphs that take the
strings themselves, and the pool's materialisers (joined zip parts, renamed checkpoints)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper
from safetensors.torch import save_file

from shift_search.executor.loaders import packaged_pool
from shift_search.executor.loaders.cnn_architectures import architectures, build_trunk
from shift_search.executor.loaders.known_models import resolve_known_model
from shift_search.executor.loaders.onnx_image import ImagePreprocessing
from shift_search.executor.loaders.packaged_pool import (
    PoolModel,
    craft_vgg,
    join_zip_parts,
    location,
    onnx_penultimate,
    resnet_sequential,
    strip_prefix,
)
from shift_search.executor.loaders.registry import load_encoder
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound

# torchvision's published parameter counts minus the classifier heads (fc / classifier.1)
TRUNK_PARAMETERS = {
    "resnet18": 11_689_512 - 513_000,
    "resnet50": 25_557_032 - 2_049_000,
    "resnet152": 60_192_808 - 2_049_000,
    "mobilenet_v2": 3_504_872 - 1_281_000,
    "efficientnet_b0": 5_288_548 - 1_281_000,
    "vgg16_bn": 138_365_992 - 123_642_856,
}


@pytest.mark.parametrize("arch", sorted(TRUNK_PARAMETERS))
def test_trunks_have_torchvisions_parameter_counts(arch: str) -> None:
    trunk = build_trunk(arch)
    assert sum(p.numel() for p in trunk.parameters()) == TRUNK_PARAMETERS[arch]


def test_trunks_use_torchvisions_key_names() -> None:
    assert "layer4.2.downsample" not in "".join(build_trunk("resnet50").state_dict())
    assert "layer4.0.downsample.1.running_var" in build_trunk("resnet50").state_dict()
    assert "features.17.conv.1.0.weight" in build_trunk("mobilenet_v2").state_dict()
    effnet = build_trunk("efficientnet_b0").state_dict()
    assert {"features.1.0.block.1.fc1.weight", "features.6.3.block.3.1.bias"} <= set(effnet)
    assert len(build_trunk("vgg16_bn", 39).features) == 39
    with pytest.raises(InvalidArgument, match="unknown torchvision architecture"):
        build_trunk("resnet7")
    assert "efficientnet_b2" in architectures()


def _torchvision_folder(folder: Path, arch: str, **config: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    state = {k: v.contiguous() for k, v in build_trunk(arch).state_dict().items()}
    state["classifier.1.weight"] = torch.zeros(3, 4)  # a head the loader must ignore
    save_file(state, str(folder / "model.safetensors"))
    (folder / "torchvision.json").write_text(json.dumps({"arch": arch, **config}))
    return folder


def test_torchvision_folder_embeds_images_and_is_trainable(tmp_path: Path) -> None:
    folder = _torchvision_folder(tmp_path / "m", "mobilenet_v2", image_size=32)
    encoder = load_encoder("torchvision", str(folder), modality="image", device="cpu")
    images = [np.full((8, 8), v, dtype=np.uint8) for v in (0, 128, 255)]
    features = encoder.embed(images, batch_size=2)
    assert features.shape == (3, 1280) and encoder.dimension == 1280
    assert not np.allclose(features[0], features[2])
    assert (
        sum(p.numel() for p in encoder.trainable().parameters()) == TRUNK_PARAMETERS["mobilenet_v2"]
    )


def test_the_input_normalisation_comes_from_the_folder(tmp_path: Path) -> None:
    plain = _torchvision_folder(tmp_path / "a", "resnet18", image_size=32)
    raw = _torchvision_folder(
        tmp_path / "b", "resnet18", image_size=32, mean=[0, 0, 0], std=[1, 1, 1]
    )
    image = [np.full((4, 4, 3), 255, dtype=np.uint8)]
    a = load_encoder("torchvision", str(plain), modality="image").prepare(image)["pixel_values"]
    b = load_encoder("torchvision", str(raw), modality="image").prepare(image)["pixel_values"]
    assert torch.allclose(b, torch.ones_like(b), atol=1e-5)  # 0-1 pixels, untouched
    assert torch.allclose(a[0, 0], torch.full_like(a[0, 0], (1 - 0.485) / 0.229), atol=1e-4)


def test_torchvision_folder_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="not a torchvision model folder"):
        load_encoder("torchvision", str(tmp_path), modality="image")
    folder = _torchvision_folder(tmp_path / "m", "resnet18")
    with pytest.raises(InvalidArgument, match="image models"):
        load_encoder("torchvision", str(folder), modality="text")
    (folder / "torchvision.json").write_text(json.dumps({"arch": "resnet34"}))
    with pytest.raises(FailedPrecondition, match="lacks"):
        load_encoder("torchvision", str(folder), modality="image")


def _tiny_classifier(path: Path) -> Path:
    """NCHW input [N,3,8,8] -> Conv(4) -> GlobalAveragePool -> Flatten -> Gemm(2) -> Softmax."""
    rng = np.random.default_rng(0)
    weights = [
        helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], rng.normal(size=108).tolist()),
        helper.make_tensor("fc", TensorProto.FLOAT, [4, 2], rng.normal(size=8).tolist()),
        helper.make_tensor("fb", TensorProto.FLOAT, [2], [0.0, 0.0]),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("GlobalAveragePool", ["c"], ["g"]),
        helper.make_node("Flatten", ["g"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc", "fb"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["p"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("p", TensorProto.FLOAT, ["N", 2])], weights,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_an_onnx_classifier_embeds_with_its_penultimate_layer(tmp_path: Path) -> None:
    source = _tiny_classifier(tmp_path / "tiny.onnx")
    spec = PoolModel(
        "tiny", "image", "onnx", (("x", "tiny.onnx"),), "test", "-", "ONNX", False,
        options={"preprocess": {"size": 8, "layout": "NCHW"}},
    )  # fmt: skip
    out = tmp_path / "prepared"
    out.mkdir()
    onnx_penultimate(spec, [source], out)
    assert json.loads((out / "onnx_image.json").read_text())["embedding_output"] == "flat"
    encoder = load_encoder("onnx", str(out), modality="image")
    features = encoder.embed([np.zeros((8, 8), np.uint8), np.full((8, 8), 200, np.uint8)])
    assert features.shape == (2, 4) and encoder.dimension == 4
    with pytest.raises(FailedPrecondition, match="inference-only"):
        encoder.trainable()
    with pytest.raises(NotFound, match="not an ONNX image model folder"):
        load_encoder("onnx", str(tmp_path), modality="image")


def test_image_preprocessing_crops_reorders_and_normalises() -> None:
    prep = ImagePreprocessing.from_config(
        {"size": 2, "resize": 4, "layout": "NHWC", "channels": "BGR", "scale": 1.0,
         "mean": [1.0, 2.0, 3.0], "std": [1.0, 1.0, 2.0]}
    )  # fmt: skip
    image = np.zeros((4, 4, 3), np.uint8)
    image[..., 0], image[..., 2] = 10, 30  # red 10, blue 30
    batch = prep.batch([image])
    assert batch.shape == (1, 2, 2, 3)
    assert np.allclose(batch[0, 0, 0], [(30 - 1) / 1, (0 - 2) / 1, (10 - 3) / 2])
    with pytest.raises(InvalidArgument, match="layout"):
        ImagePreprocessing.from_config({"layout": "CHW"})


def test_an_onnx_graph_that_takes_strings_embeds_texts(tmp_path: Path) -> None:
    """String in (one text per row), a float vector out: the Universal Sentence Encoder's
    layout, here with ai.onnx.ml's LabelEncoder mapping known words to numbers."""
    nodes = [
        helper.make_node(
            "LabelEncoder", ["texts"], ["codes"], domain="ai.onnx.ml",
            keys_strings=["good", "bad"], values_floats=[1.0, -1.0], default_float=0.0,
        ),
        helper.make_node("Unsqueeze", ["codes", "axis"], ["vectors"]),
    ]  # fmt: skip
    graph = helper.make_graph(
        nodes, "strings", [helper.make_tensor_value_info("texts", TensorProto.STRING, ["N"])],
        [helper.make_tensor_value_info("vectors", TensorProto.FLOAT, ["N", 1])],
        [helper.make_tensor("axis", TensorProto.INT64, [1], [1])],
    )  # fmt: skip
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 2)]
    )
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "model.onnx"))
    encoder = load_encoder("onnx", str(tmp_path), modality="text")
    assert encoder.dimension == 1
    assert encoder.embed(["good", "bad", "other"])[:, 0].tolist() == [1.0, -1.0, 0.0]


def test_split_zip_parts_are_joined_and_unpacked_flat(tmp_path: Path) -> None:
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("m/config.json", "{}")
        z.writestr("m/model.safetensors", b"x" * 5000)
        z.writestr("m/desktop.ini", "junk")
    data = archive.read_bytes()
    parts = []
    for i, start in enumerate(range(0, len(data), 2000)):
        parts.append(tmp_path / f"part{i}")
        parts[-1].write_bytes(data[start : start + 2000])
    spec = PoolModel(
        "m", "text", "huggingface", (("x", "y"),), "test", "-", "zip", True,
        options={"keep": ("config.json", "model.safetensors")},
    )  # fmt: skip
    out = tmp_path / "out"
    out.mkdir()
    join_zip_parts(spec, parts, out)
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "model.safetensors"]
    assert (out / "model.safetensors").read_bytes() == b"x" * 5000


def test_renaming_rules_map_checkpoints_to_torchvision_keys() -> None:
    assert strip_prefix("features.")("features.conv1.weight") == "conv1.weight"
    assert strip_prefix("features.")("fc6.weight") is None
    rename = resnet_sequential("features.")
    assert rename("features.0.weight") == "conv1.weight"
    assert rename("features.4.1.bn2.bias") == "layer1.1.bn2.bias"
    assert rename("features.8.weight") is None and rename("conv1.weight") is None
    assert craft_vgg("module.basenet.slice3.22.weight") == "features.22.weight"
    assert craft_vgg("module.basenet.slice5.1.weight") is None
    assert craft_vgg("module.conv_cls.0.weight") is None


def test_a_pool_model_whose_package_is_missing_is_not_found_with_the_install_hint() -> None:
    ghost = PoolModel(
        "ghost", "text", "huggingface", (("no-such-distribution-xyz", "a/b"),), "-", "-", "-", True
    )
    with pytest.raises(NotFound, match=r"not installed.*\[pool\]"):
        location(ghost)
    with pytest.raises(NotFound) as error:
        resolve_known_model("resnet153-imagenet")
    assert "resnet152-imagenet" in error.value.suggestions


def test_a_failed_preparation_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIFT_HOME", str(tmp_path / "home"))
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"abc")
    monkeypatch.setattr(packaged_pool, "source_files", lambda model: [weights])

    def broken(model: PoolModel, files: list[Path], out: Path) -> None:
        (out / "half-written").write_text("x")
        raise OSError("disk full")

    spec = PoolModel(
        "b", "text", "huggingface", (("x", "y"),), "-", "-", "-", True, materialise=broken
    )
    with pytest.raises(FailedPrecondition, match="disk full"):
        location(spec)
    assert list((tmp_path / "home" / "packaged").iterdir()) == []

    def works(model: PoolModel, files: list[Path], out: Path) -> None:
        (out / "done").write_text("ok")

    ready = location(
        PoolModel("b", "text", "huggingface", (("x", "y"),), "-", "-", "-", True, materialise=works)
    )
    assert (ready / "done").read_text() == "ok" and ready.name.startswith("b-")
