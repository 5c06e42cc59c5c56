-- Successive halving over fine-tuning epochs: 8 models, 3 rounds of 1, 2 and 4 epochs.
select name from text_models where num_params <= 8M
  order by FineTune(epochs=4, lr=2e-5) asc trained on "cola-train" tested on "cola-test" limit 1;
FINETUNE ["text-00", "text-01"] WITH "vtab-train" USING epochs=2, test="vtab-test";
