"""The fine-tune task: train a model on a dataset and register the result with its lineage; its
outcome is stored as a FinetuneScore and, as one row, in the table benchmark_results."""

from __future__ import annotations

import hashlib
import inspect
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from shift_search.cache import keys
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.cache.stored import BenchmarkResult, FinetuneScore
from shift_search.executor.finetuning.train import FinetuneProgress, finetune
from shift_search.executor.finetuning.validation import validation_split
from shift_search.executor.loaders.known_models import resolve_known_model
from shift_search.executor.runner import PACKAGED, TaskEnv, open_encoder
from shift_search.runtime.errors import FailedPrecondition
from shift_search.runtime.settings import shift_home
from shift_search.tasks.results import FinetuneResult, TaskResult
from shift_search.tasks.specs import FinetuneTask

HYPER_PARAMETERS = (
    "lr",
    "epochs",
    "batch_size",
    "optimizer",
    "weight_decay",
    "seed",
    "validation_fraction",
    "patience",
)


def run_finetune(env: TaskEnv, task: FinetuneTask) -> TaskResult[FinetuneResult]:
    """Fine-tune a model on `train`, evaluate on `test`; register the result when asked."""
    model, train, test, params = task.model, task.train, task.test, task.params
    register = task.register
    hyper = {k: v for k, v in params.items() if k in HYPER_PARAMETERS}
    unknown = sorted(set(params) - set(HYPER_PARAMETERS))
    if unknown:
        raise FailedPrecondition(
            f"unknown fine-tuning parameter(s) {', '.join(unknown)}; "
            f"known: {', '.join(HYPER_PARAMETERS)}"
        )
    train_segments, test_segments = env.reader.read(train), env.reader.read(test)
    fingerprints = [s.record.fingerprint for s in [*train_segments, *test_segments]]
    key = keys.finetune_score(model.key, fingerprints, hyper)
    cached = env.cache.get_value(key)
    if cached is not None:
        stored = FinetuneScore.from_json(cached)
        found = env.cache.get_model(stored.model) if stored.model else None
        if found is not None or not register:
            tuned = FinetuneResult(
                found,
                stored.test_accuracy,
                stored.head_accuracy_before,
                stored.train_loss,
                stored.steps,
            )
            return TaskResult(tuned, from_cache=True)
    train_x = [x for s in train_segments for x in s.data.inputs]
    test_x = [x for s in test_segments for x in s.data.inputs]
    train_y = [int(y) for s in train_segments for y in s.data.labels]
    test_y = [int(y) for s in test_segments for y in s.data.labels]
    classes = train_segments[0].data.classes if train_segments else ()
    name = task.output_name or f"{model.name}-ft-{train.name}"
    folder = shift_home() / "models" / re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    encoder = open_encoder(model, env.encoders.device)  # fresh weights: training changes them

    def progress(p: FinetuneProgress) -> None:
        env.progress("train", p.step, p.total_steps, f"epoch {p.epoch} loss {p.loss:.4f}")

    training = dict(hyper)
    fraction = float(training.pop("validation_fraction", 0.0) or 0.0)
    validation = None
    if fraction > 0:
        rows, held = validation_split(train_y, fraction, int(training.get("seed", 0)))
        validation = ([train_x[i] for i in held], [train_y[i] for i in held])
        train_x, train_y = [train_x[i] for i in rows], [train_y[i] for i in rows]
    result = finetune(
        encoder,
        train_x,
        train_y,
        test_x,
        test_y,
        num_classes=len(classes),
        progress=progress,
        should_stop=env.should_stop,
        output_dir=folder if register else None,
        lineage={"parent": model.key, "train": train.name, "params": hyper},
        validation=validation,
        **training,
    )
    record = None
    if register:
        record = env.cache.register_model(
            _finetuned_record(model, name, str(folder), result.test_accuracy)
        )
    stored = FinetuneScore(
        result.test_accuracy,
        result.head_accuracy_before,
        result.train_loss,
        result.steps,
        record.name if record else None,
        result.seconds,
    )
    run = benchmark_run(key, model, train, test, hyper, result.test_accuracy, result.seconds)
    env.cache.put_values(
        {key: stored.to_json(), keys.benchmark_result(run.run): run.to_json()}  # one write
    )
    tuned = FinetuneResult(
        record, result.test_accuracy, result.head_accuracy_before, result.train_loss, result.steps
    )
    return TaskResult(tuned)


def benchmark_run(
    key: str,
    model: ModelRecord,
    train: DatasetRecord,
    test: DatasetRecord,
    hyper: Mapping[str, Any],
    accuracy: float,
    seconds: float,
) -> BenchmarkResult:
    """The row of benchmark_results a fine-tune adds: the model by its catalog name, the
    training data by its name (its `category` tag, when it has one, feeds meta-learned
    similarity), the hyper-parameters as they ran (defaults filled in)."""
    defaults = inspect.signature(finetune).parameters
    resolved = {k: hyper.get(k, defaults[k].default) for k in ("lr", "epochs", "batch_size")}
    return BenchmarkResult(
        run="shift:" + hashlib.sha256(key.encode()).hexdigest()[:24],
        model=model.name,
        dataset=train.name,
        test_accuracy=accuracy,
        label=train.label_column or "label",
        modality=model.modality,
        category=train.tags.get("category"),
        train_slice=train.slice or "all",
        test_split=test.name,
        learning_rate=float(resolved["lr"]),
        epochs=int(resolved["epochs"]),
        batch_size=int(resolved["batch_size"]),
        seconds=seconds,
        origin="shift",
    )


def _finetuned_record(parent: ModelRecord, name: str, folder: str, accuracy: float) -> ModelRecord:
    """The catalog entry of a fine-tuned model: loadable from `folder`, tagged with its lineage."""
    source, tokenizer = parent.source, parent.tokenizer or parent.uri
    if parent.uri.startswith(PACKAGED):
        known = resolve_known_model(parent.uri.removeprefix(PACKAGED))
        source, tokenizer = known.source, known.tokenizer or known.uri
    if source == "onnx":
        raise FailedPrecondition(f"model {parent.name!r} is ONNX and cannot be fine-tuned")
    return replace(
        parent,
        name=name,
        uri=folder,
        source=source,
        tokenizer=tokenizer if source == "huggingface" else parent.tokenizer,
        finetuned=True,
        parent=parent.name,
        upstream_accuracy=None,
        tags={**parent.tags, "finetune_test_accuracy": f"{accuracy:.4f}"},
    )
