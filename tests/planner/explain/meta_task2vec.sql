-- The meta-learned strategy with Task2Vec similarity: SST-2's training data and the benchmark
-- datasets the catalog registers (cola-train, vtab-train; imdb, yelp and ag_news are only names
-- in benchmark_results, left out) embedded through text-00; the nearest one's best models, then
-- 1-NN among the top 2. Until the embeddings are cached the shortlist is undecided.
EXPLAIN SELECT name FROM text_models
  ORDER BY MetaLearned(similarity="task2vec", probe="text-00", k=1, top=2, proxy="Euclidean NN")
  TRAINED ON "sst2-train" TESTED ON "sst2-test" LIMIT 1;
