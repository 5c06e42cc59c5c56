"""Canonical spellings: catalog tables and columns, proxies and their parameters."""

from __future__ import annotations

import re

TABLES: dict[str, str] = {
    "models": "models",
    "image_models": "image_models",
    "text_models": "text_models",
    "datasets": "datasets",
    "readers": "datasets",
    "benchmark_results": "benchmark_results",
}

COLUMNS: dict[str, str] = {
    "modelid": "name",
    "model_id": "name",
    "name": "name",
    "numparams": "num_params",
    "num_params": "num_params",
    "params": "num_params",
    "upstreamaccuracy": "upstream_accuracy",
    "up_acc": "upstream_accuracy",
    "upstream_accuracy": "upstream_accuracy",
    "input": "modality",
    "modality": "modality",
    "dateadded": "date_added",
    "date_added": "date_added",
}

# Keys are spellings with case, spaces, `_` and `-` removed.
PROXIES: dict[str, str] = {
    "euclideannn": "euclidean_nn",
    "l2nn": "euclidean_nn",
    "nn": "euclidean_nn",
    "cosinenn": "cosine_nn",
    "linear": "linear",
    "linearprobe": "linear",
    "knn": "knn",
    "logme": "logme",
    "leep": "leep",
    "finetune": "finetune",
    "metalearned": "meta_learned",
}

PROXY_PARAMS: dict[str, str] = {
    "learning_rate": "lr",
    "learningrate": "lr",
    "num_epochs": "epochs",
    "numepochs": "epochs",
    "n_epochs": "epochs",
    "batchsize": "batch_size",
}

METRICS = ("err", "acc")
AGGREGATES = ("avg", "sum", "min", "max")
COLUMN_FUNCS = ("avg", "sum", "min", "max", "count")
"""What a select item or an ORDER BY may aggregate a column by (over each GROUP BY group)."""

_SQUASH = re.compile(r"[\s_\-]+")
_NON_WORD = re.compile(r"\W+")


def table_name(word: str) -> str | None:
    """The canonical catalog table for `word`, or None when it names a variable."""
    return TABLES.get(word.lower())


def column_name(word: str) -> str:
    """The canonical catalog field; unknown names are lower-cased."""
    lowered = word.lower()
    return COLUMNS.get(lowered, lowered)


def known_proxy(spelling: str) -> str | None:
    """The canonical proxy name for a known spelling (`"Cosine NN"` -> `cosine_nn`), else None."""
    return PROXIES.get(_SQUASH.sub("", spelling.lower()))


def proxy_name(spelling: str) -> str:
    """The canonical proxy name; unknown spellings are lower-cased with `_` between words."""
    return known_proxy(spelling) or _NON_WORD.sub("_", spelling.strip().lower()).strip("_")


def param_name(word: str) -> str:
    """The canonical proxy / fine-tuning parameter (`learning_rate` -> `lr`)."""
    lowered = word.lower()
    return PROXY_PARAMS.get(lowered, lowered)
