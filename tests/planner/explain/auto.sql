-- AUTO before its evidence is in: Cosine NN and LogME on every candidate, then the choice among
-- the strategies, each priced (the meta-learned one waits for stored benchmark results).
SELECT name FROM text_models WHERE num_params <= 20M ORDER BY AUTO
  TRAINED ON "vtab-train" TESTED ON "vtab-test";
