-- The paper's hybrid Q4 in one script: Q1 is metadata only, so EXPLAIN computes it; Q4 needs a
-- linear probe, so it stands in for its result in the statements after it.
Q1 := SELECT name FROM text_models ORDER BY upstream_accuracy DESC LIMIT 1;
Q4 := Q1 UNION SELECT name FROM text_models WHERE name NOT IN Q1
      ORDER BY Linear(lr=0.1) ASC LIMIT 1 TESTED ON "cola-test" TRAINED ON "cola-train";
PRINT Q4;
FINETUNE Q4 WITH "cola-train" USING lr=2e-5, epochs=3, test="cola-test";
