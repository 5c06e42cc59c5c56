explain select all from text_models ORDER BY err ASC trained on "sst2-train"
  tested on task "sst2-test" classified by [Linear(learning_rate=0.01, num_epochs=2000)]
  chunk 399 budget 455 wait;
