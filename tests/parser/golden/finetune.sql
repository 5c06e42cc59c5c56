-- FINETUNE models WITH dataset [USING ...] [WAIT].
FINETUNE my_model WITH "glue/cola-train";
finetune ["bert-base-uncased", distilbert] WITH train USING lr=2e-5, epochs=3, batch_size=32 WAIT;
FINETUNE Q4 WITH ["a", "b"] USING learning_rate=0.001, num_epochs=1;
FINETUNE m WITH d WAIT;
