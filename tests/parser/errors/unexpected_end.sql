SELECT * FROM models WHERE a =
