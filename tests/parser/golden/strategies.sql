-- Strategies: a cascade of proxies (each stage ranks the best `keep` of the one before, a
-- FineTune stage last), the hybrid as a cascade's prior, and AUTO.
SELECT name FROM models ORDER BY Cascade(CosineNN, LogME, keep=4) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY cascade("Cosine NN", Linear(lr=0.1), kNN(k=5), keep=[8, 3])
  TRAINED ON a TESTED ON b LIMIT 1;
SELECT name FROM text_models
  ORDER BY Cascade(Linear(lr=0.1), FineTune(epochs=4, lr=2e-5), keep=3, prior=up_acc) ASC
  TRAINED ON a TESTED ON b LIMIT 1 WAIT;
SELECT name FROM models ORDER BY Cascade(CosineNN, LogME) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY Cascade(CosineNN, LogME, prior='num_params', keep=2)
  TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY AUTO TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY auto(regret=0.5, epochs=2) TRAINED ON a TESTED ON b LIMIT 1;
EXPLAIN SELECT name FROM models ORDER BY Auto() TRAINED ON a TESTED ON b;
