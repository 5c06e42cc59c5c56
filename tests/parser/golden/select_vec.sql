-- SELECT vec FROM datasets WHERE probe = models (Task2Vec-style similarity).
SELECT vec FROM benchmarks WHERE probe = probe_model;
select VEC from readers where PROBE = resnet_probe;
