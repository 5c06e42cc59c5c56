SELECT * FROM models ORDER BY err TRAINED ON ("base" CHANGE [1, 2, 3] TO "other" [0, 1]) TESTED ON t;
