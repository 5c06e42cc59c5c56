-- Columns, tables and column-name normalisation.
SELECT * FROM models;
select all from image_models;
Select name, source AS src, NumParams FROM text_models;
SELECT ModelId, model_id, UpstreamAccuracy, up_acc, input, DateAdded FROM Models;
SELECT * FROM readers WHERE name = "imdb-train";
SELECT * FROM datasets;
SELECT * FROM benchmark_results WHERE dataset = 'cola';
SELECT * FROM my_var WHERE source = huggingface;
