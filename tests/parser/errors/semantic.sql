SELECT * FROM models WHERE source AND a = 1;
SELECT * FROM models ORDER BY foo(bar);
SELECT * FROM models LIMIT 2.5;
