-- A cascade: Cosine NN ranks every candidate, LogME ranks the best 4 on the features the first
-- stage embedded (no forward pass); the first stage's SH is AO's choice.
SELECT name FROM text_models WHERE num_params <= 20M
  ORDER BY Cascade(CosineNN, LogME, keep=4) TRAINED ON "cola-train" TESTED ON "cola-test" LIMIT 1;
