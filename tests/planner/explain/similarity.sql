-- SELECT vec: Task2Vec embeddings of two datasets through one probe, then their distances
declare sets as select * from datasets where name like 'vtab%';
declare probe as select * from text_models order by num_params limit 1;
select vec from sets where probe = probe;
