-- The published examples, verbatim from SHIFTQL.md (reference dialect).
SELECT * FROM Models WHERE NumParams < 10M AND Input == 'Vision'
  ORDER BY UpstreamAccuracy DESC LIMIT 1;
select * from text_models where source=TensorFlow;
select all from image_models where source="TensorFlow" and params < 10000;
select all from text_models where source="TensorFlow" ORDER BY err ASC
  trained on "glue/sst2:1.0.0-train" tested on task "glue/sst2:1.0.0-test"
  classified by [Linear(learning_rate=0.05, num_epochs=300), "Cosine NN"] limit 1;
explain select all from image_models where source="vtab" ORDER BY err ASC
  trained on "vtab-cdp-train" tested on task "vtab-cdp-val" classified by ["Euclidean NN"]
  chunk 64 budget 160 wait;
declare my_model as select * from image_models where source="vtab" ORDER BY num_params DESC limit 1;
select * from image_models where source="vtab" ORDER BY err ASC trained on "vtab-eurosat-train"
  tested on task "vtab-eurosat-val" classified by ["Euclidean NN"] limit 1 other than my_model wait;
REGISTER dataset "imdb-train" ("tf_dataset_name", "split", "embed_feature_path", "label_feature_path", "size")
  VALUES ("imdb_reviews/plain_text", "train", ["sentence"], ["label"], 25000);
