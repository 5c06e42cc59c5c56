SELECT * FROM models
  WHERE source = "hf"
  LIMT 5;
