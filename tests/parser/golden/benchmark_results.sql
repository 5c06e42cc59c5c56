-- The stored fine-tune results are a table like any other: restrict, order, limit.
SELECT * FROM benchmark_results WHERE dataset = 'glue/cola' AND accuracy > 0.8 ORDER BY accuracy DESC LIMIT 5;
select model, dataset, accuracy from benchmark_results where model in ("bert-base", 'roberta') and not finetuned order by accuracy desc;
DECLARE best AS SELECT model FROM benchmark_results WHERE dataset LIKE 'vtab-%' ORDER BY accuracy DESC LIMIT 3;
