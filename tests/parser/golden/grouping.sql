-- Aggregates of a column over GROUP BY groups: per model, per dataset, or over every row.
SELECT model, avg(test_accuracy) AS mean, max(test_accuracy), count(*) AS runs
  FROM benchmark_results WHERE dataset LIKE 'glue/%' GROUP BY model
  ORDER BY avg(test_accuracy) DESC LIMIT 5;
select dataset, label, min(seconds) from benchmark_results group by dataset, label order by count(*) desc;
SELECT count(*), sum(num_params) FROM models;
SELECT source, count(name) FROM models GROUP BY source ORDER BY source;
DECLARE strong AS SELECT model FROM benchmark_results WHERE category = 'text/sentiment'
  GROUP BY model ORDER BY avg(test_accuracy) DESC LIMIT 3;
