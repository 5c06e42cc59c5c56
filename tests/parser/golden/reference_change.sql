-- Dataset mutations (change … to) in the reference dialect.
select * from image_models where source="vtab" order by err asc trained on ("vtab-cdp-train" change [2,4,6,8] to "vtab-cdp-noisy" [0,1,2,5]) tested on task "vtab-cdp-val" classified by ["Euclidean NN"] limit 1;
select * from text_models order by err asc trained on ["glue/sst2:1.0.0-train", ("glue/cola:1.0.0-train" change [0, 1] to "cola-relabels", change [5] to "cola-extra" [7])] tested on task "glue/sst2:1.0.0-test" classified by ["Cosine NN"] limit 1 wait;
