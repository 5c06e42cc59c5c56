SELECT name FROM text_models ORDER BY CosineNN ASC TRAINED ON "cola-train" TESTED ON "cola-test";
