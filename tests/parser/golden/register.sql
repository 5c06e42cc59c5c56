-- REGISTER DATASET / MODEL with strings, numbers and lists.
REGISTER dataset "imdb-train" ("tf_dataset_name", "split", "embed_feature_path", "label_feature_path", "size")
  VALUES ("imdb_reviews/plain_text", "train", ["sentence"], ["label"], 25000);
REGISTER MODEL "my-bert" (name, source, uri, num_params, upstream_accuracy, finetuned, tags)
  VALUES ('my-bert', huggingface, "/models/bert", 110M, 0.845, false, ["nlp", "base"]);
register model m () values ();
