-- DROP DATASET|MODEL [IF EXISTS] name: unregister (quoted or bare names, like REGISTER).
DROP DATASET "glue/sst2-train";
drop model if exists "bert-base";
DROP dataset IF EXISTS my_reviews;
Drop Model `resnet-50`;
