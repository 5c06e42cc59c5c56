-- Every predicate form, and NOT > AND > OR.
SELECT * FROM models WHERE a = 1 AND b == 2 AND c != 3 AND d <> 4 AND e < 5 AND f <= 6 AND g > 7 AND h >= 8;
SELECT * FROM models WHERE num_params BETWEEN 1M AND 10M;
SELECT * FROM models WHERE num_params NOT BETWEEN 1K AND 2K AND source = 'hf';
SELECT * FROM models WHERE source IN ('huggingface', "onnx", local) AND name NOT IN ("x");
SELECT * FROM models WHERE name IN Q1 OR name NOT IN Q2;
SELECT * FROM models WHERE upstream_accuracy IS NULL OR up_acc IS NOT NULL;
SELECT * FROM models WHERE name LIKE 'bert%' AND name NOT LIKE "%large%";
SELECT * FROM models WHERE FINETUNED;
SELECT * FROM models WHERE NOT FINETUNED AND source = "hf";
SELECT * FROM models WHERE finetuned = true AND dimension = null AND flag = FALSE;
SELECT * FROM models WHERE a = 1 OR b = 2 AND c = 3;
SELECT * FROM models WHERE (a = 1 OR b = 2) AND c = 3;
SELECT * FROM models WHERE NOT a = 1 AND b = 2 OR NOT (c = 3 OR d = 4);
SELECT * FROM models WHERE a = 1 AND (b = 2 AND c = 3) AND d = -4.5;
