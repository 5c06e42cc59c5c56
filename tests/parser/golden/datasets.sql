-- TRAINED ON / TESTED ON: names, lists, mutations.
SELECT * FROM models ORDER BY err TRAINED ON "glue/sst2:1.0.0-train" TESTED ON "glue/sst2:1.0.0-test";
SELECT * FROM models ORDER BY err TRAINED ON TrainReader TESTED ON TASK TestReader;
SELECT * FROM models ORDER BY err TRAINED ON ["part1", part2, 'part3'] TESTED ON test;
SELECT * FROM models ORDER BY err TRAINED ON ("base" CHANGE [2,4,6,8] TO "other" [0,1,2,5], CHANGE [1, 3] TO "third") TESTED ON test;
SELECT * FROM models ORDER BY err TRAINED ON ["a", ("b" CHANGE [0] TO labels_only)] TESTED ON ("t" CHANGE [] TO "u" []);
