-- AUTO with a budget: its search (the evidence, priced as if nothing were cached, and what the
-- chosen strategy still runs) may cost at most 2 fine-tunes of the mean candidate.
SELECT name FROM text_models WHERE num_params <= 20M ORDER BY Auto(budget=2, regret=0.5)
  TRAINED ON "vtab-train" TESTED ON "vtab-test";
