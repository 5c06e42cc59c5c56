"""Fine-tuning runs for the golden catalogs' benchmark_results: the text models text-00 to
text-05 on two sentiment benchmark datasets and one topic dataset, named as in the authors' CSV
(not in the catalogs), and on two datasets the catalogs register, cola-train and vtab-train, as
SHiFT's own FINETUNE runs are named (what ORDER BY MetaLearned learns from; Task2Vec similarity
can embed only the registered ones); SST-2 is tagged `text/sentiment` in those catalogs."""

from __future__ import annotations

from shift_search.cache.stored import BenchmarkResult

TARGET_TAGS = {
    "sst2-train": {"category": "text/sentiment"},
    "sst2-test": {"category": "text/sentiment"},
}
"""Tags of the golden datasets: SST-2 is a sentiment task."""

BENCHMARKS = {
    "imdb": ("text/sentiment", (0.81, 0.86, 0.79, 0.90, 0.75, 0.88)),
    "yelp": ("text/sentiment", (0.70, 0.78, 0.72, 0.84, 0.69, 0.74)),
    "ag_news": ("text/topic", (0.91, 0.62, 0.88, 0.55, 0.93, 0.60)),
    "cola-train": ("text/acceptability", (0.62, 0.71, 0.58, 0.66, 0.74, 0.60)),
    "vtab-train": ("image/natural", (0.45, 0.52, 0.61, 0.40, 0.57, 0.49)),
}


def benchmark_runs() -> list[BenchmarkResult]:
    return [
        BenchmarkResult(
            run=f"golden:{dataset}:{i}",
            model=f"text-{i:02d}",
            dataset=dataset,
            test_accuracy=accuracy,
            modality="text",
            category=category,
            train_slice=":800",
            test_split="test",
            learning_rate=0.01,
            epochs=25,
            batch_size=8,
            origin="golden",
        )
        for dataset, (category, accuracies) in BENCHMARKS.items()
        for i, accuracy in enumerate(accuracies)
    ]
