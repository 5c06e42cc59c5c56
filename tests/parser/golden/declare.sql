-- DECLARE v AS q and the paper's v := q.
DECLARE small AS SELECT * FROM models WHERE num_params < 10M;
declare my_model as select * from image_models where source="vtab" ORDER BY num_params DESC limit 1;
Q2 := SELECT * FROM models ORDER BY LogME TRAINED ON a TESTED ON b LIMIT 2;
Q3 := Q1 UNION Q2;
both := Q1;
DECLARE sims AS SELECT vec FROM benchmarks WHERE probe = my_model;
