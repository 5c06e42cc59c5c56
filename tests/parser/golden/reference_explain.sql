-- EXPLAIN [JSON|ANALYZE] in the reference dialect.
explain analyze select all from image_models where source="vtab" order by err asc trained on "vtab-cdp-train" tested on task "vtab-cdp-val" classified by ["Euclidean NN"] chunk 64 budget 160 wait;
explain json select * from text_models order by err asc trained on "glue/cola:1.0.0-train" tested on task "glue/cola:1.0.0-test" classified by ["Cosine NN"] chunk auto budget auto;
explain analyze q1 union q2;
