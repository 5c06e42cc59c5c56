-- Dataset mutations in the paper dialect: TESTED ON before TRAINED ON, a proxy written directly.
SELECT ModelId FROM Models WHERE Input = Vision ORDER BY Linear(lr=0.1) ASC LIMIT 1 TESTED ON TestReader TRAINED ON (TrainReader CHANGE [2, 4, 6, 8] TO NoisyReader [0, 1, 2, 5]);
SELECT ModelId FROM Models ORDER BY CosineNN ASC TESTED ON TestReader TRAINED ON ("train" CHANGE [0] TO LabelsOnly, CHANGE [1, 2] TO "extra");
