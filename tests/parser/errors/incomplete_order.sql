SELECT * FROM models WHERE source = "hf" LIMIT 5 ORDER;
