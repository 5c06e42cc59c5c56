-- The meta-learned strategy: the best fine-tuned models on the k most similar benchmark
-- datasets (benchmark_results), then a proxy among them on the task.
SELECT name FROM text_models ORDER BY MetaLearned(k=3, top=5, proxy="Linear")
  TRAINED ON "reviews-train" TESTED ON "reviews-test" LIMIT 1;
select * from models order by meta_learned(top=4, similarity="metadata", column="category")
  trained on "a" tested on "b" classified by ["Cosine NN"] wait;
SELECT name FROM models ORDER BY "Meta Learned" TRAINED ON a TESTED ON b;
