select name from text_models where num_params <= 4M order by err
  trained on ("cola-train" change [0, 1, 2, 3] to "sst2-train" [10, 11, 12, 13])
  tested on "cola-test" classified by ["Euclidean NN"];
