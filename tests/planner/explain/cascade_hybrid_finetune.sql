-- The hybrid, then halving over fine-tuning epochs: a linear probe keeps its best 3, the model
-- with the highest upstream accuracy joins them, and the 4 are fine-tuned for 1, 2, then 4 epochs.
SELECT name FROM text_models WHERE num_params <= 20M
  ORDER BY Cascade(Linear(lr=0.1), FineTune(epochs=4, lr=2e-5), keep=3, prior=upstream_accuracy)
  TRAINED ON "vtab-train" TESTED ON "vtab-test" LIMIT 1;
