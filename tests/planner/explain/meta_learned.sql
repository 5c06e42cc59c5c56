-- The meta-learned strategy: the text models that fine-tuned best on the benchmark datasets
-- most like SST-2 (benchmark_results, by category: its two sentiment datasets), then 1-NN among
-- the top 3 on the task.
EXPLAIN SELECT name FROM text_models ORDER BY MetaLearned(k=2, top=3, proxy="Euclidean NN")
  TRAINED ON "sst2-train" TESTED ON "sst2-test" LIMIT 1;
