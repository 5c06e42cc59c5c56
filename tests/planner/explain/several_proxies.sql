-- Several proxies: the features are embedded once; each later proxy pays its tasks and itself.
select name from text_models order by err trained on "vtab-train" tested on "vtab-test"
  classified by [Linear(lr=0.1), "Cosine NN"];
-- With SH every proxy runs its own rounds; AUTO decides on the total.
select name from text_models order by err trained on "sst2-train" tested on "sst2-test"
  classified by ["Euclidean NN", kNN(k=5)];
