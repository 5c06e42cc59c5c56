-- RANK … BY a scorer: LogME on features; kNN, which needs the test data; random, which reads
-- nothing (no model is loaded)
rank name from text_models where num_params < 3M trained on "vtab-train" by "logme" wait;
rank name, num_params from text_models where num_params < 3M trained on "vtab-train"
  tested on "vtab-test" limit 1 by "kNN" wait;
rank name from text_models where num_params < 3M trained on "vtab-train" by "random" wait;
