-- devices: 4
select all from text_models ORDER BY err ASC trained on "sst2-train" tested on task "sst2-test"
  classified by ["Euclidean NN"] limit 1;
