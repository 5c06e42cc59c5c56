Q1 := SELECT name FROM text_models ORDER BY upstream_accuracy DESC LIMIT 1;
SELECT name FROM text_models ORDER BY upstream_accuracy DESC LIMIT 1
  UNION SELECT name FROM text_models WHERE num_params < 30M ORDER BY Linear(lr=0.1) ASC LIMIT 1
  TESTED ON "cola-test" TRAINED ON "cola-train";
