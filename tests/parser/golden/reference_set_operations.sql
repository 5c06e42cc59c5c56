-- Set operations in the reference dialect: lower-case keywords, DECLAREd variables.
declare q1 as select * from image_models where source="vtab" order by num_params desc limit 1;
declare q2 as select * from image_models where source="vtab" order by err asc trained on "vtab-cdp-train" tested on task "vtab-cdp-val" classified by ["Cosine NN"] limit 1;
declare q3 as select * from image_models where finetuned;
q1 union q2 intersect q3;
(q1 union q2) intersect q3;
q1 except q2 except q3;
select * from image_models where source="vtab" union select * from text_models except q1;
