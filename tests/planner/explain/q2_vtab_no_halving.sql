select * from text_models order by err asc trained on "vtab-train" tested on "vtab-test"
  classified by ["Euclidean NN"];
