-- BETWEEN, IN, IS NULL, LIKE in the reference dialect: lower-case, prototype column names.
select * from image_models where params between 1m and 10m;
select * from image_models where num_params not between 10k and 2m and source="vtab";
select all from text_models where source in ("TensorFlow", 'huggingface', onnx);
select * from image_models where source not in ('vtab') and name not in my_model;
select * from image_models where up_acc is null or up_acc is not null;
select * from text_models where name like "bert%" and name not like '%large%';
select * from image_models where not finetuned and (source="vtab" or date_added >= "2021-01-01");
