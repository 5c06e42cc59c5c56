SELECT * FROM models WHERE a = 1 ?;
REGISTER DATASET "d" (a, b) VALUES (1);
Q1;
