-- TESTED ON BENCHMARK with aggregates, reference dialect.
select * from text_models where source="TensorFlow" order by avg(err) asc tested on benchmark ["glue/cola:1.0.0-test", "glue/sst2:1.0.0-test"] classified by ["Cosine NN"] limit 3;
select all from image_models order by max(err) asc tested on benchmark ["vtab-cdp-val", "vtab-eurosat-val"] classified by [Linear(learning_rate=0.1, num_epochs=100)] limit 1 wait;
