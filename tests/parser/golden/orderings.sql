-- Orderings: metadata columns, err/acc, proxies written directly, aggregates.
SELECT * FROM models ORDER BY num_params;
SELECT * FROM models ORDER BY UpstreamAccuracy DESC;
SELECT * FROM models ORDER BY date_added asc;
SELECT * FROM models ORDER BY name DESC;
SELECT * FROM models ORDER BY err ASC TRAINED ON a TESTED ON b CLASSIFIED BY "Cosine NN";
SELECT * FROM models ORDER BY acc DESC TRAINED ON a TESTED ON b CLASSIFIED BY LogME;
SELECT * FROM models ORDER BY CosineNN ASC TRAINED ON a TESTED ON b;
SELECT * FROM models ORDER BY EuclideanNN TRAINED ON a TESTED ON b;
SELECT * FROM models ORDER BY Linear(lr=0.1) ASC TRAINED ON a TESTED ON b;
SELECT * FROM models ORDER BY kNN(k=5) TRAINED ON a TESTED ON b;
SELECT * FROM models ORDER BY LogME DESC TRAINED ON a TESTED ON b;
SELECT * FROM models ORDER BY FineTune(epochs=3, lr=2e-5) DESC TRAINED ON a TESTED ON b;
SELECT * FROM models ORDER BY "Euclidean NN" TRAINED ON a TESTED ON b;
SELECT * FROM models ORDER BY avg(err) TESTED ON BENCHMARK [cola, sst2] CLASSIFIED BY "Cosine NN";
SELECT * FROM models ORDER BY sum(err) TESTED ON BENCHMARK [a];
SELECT * FROM models ORDER BY MIN(acc) DESC TESTED ON BENCHMARK [a];
SELECT * FROM models ORDER BY max(err) TESTED ON BENCHMARK [a];
