-- One full-data search per benchmark pair, then the aggregate per model.
select name from text_models where num_params <= 4M order by avg(err) asc
  trained on ["cola-train", "vtab-train"] tested on benchmark ["cola-test", "vtab-test"]
  classified by ["Cosine NN"];
-- One training set for every benchmark dataset: the first pair embeds it, the second reuses it.
select name from text_models where num_params <= 4M order by max(err) asc
  trained on "vtab-train" tested on benchmark ["vtab-test", "cola-test"]
  classified by ["Euclidean NN"];
