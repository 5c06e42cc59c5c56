-- Set operations in the paper dialect: `:=`, paper column names and proxies, NOT IN a variable.
Q1 := SELECT ModelId FROM Models WHERE Input = Vision ORDER BY UpstreamAccuracy DESC LIMIT 1;
Q2 := SELECT ModelId FROM Models WHERE Input = Vision ORDER BY CosineNN ASC LIMIT 1 TESTED ON TestReader TRAINED ON TrainReader;
Q3 := Q1 UNION Q2 INTERSECT SELECT ModelId FROM Models WHERE NumParams < 100M;
Q4 := (Q1 UNION Q2) EXCEPT SELECT ModelId FROM Models WHERE ModelId NOT IN Q3;
Q1 INTERSECT Q2;
