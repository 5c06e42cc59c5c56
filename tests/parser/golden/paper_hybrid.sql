-- The paper's hybrid strategy, verbatim from SHIFTQL.md (paper dialect).
Q1 := SELECT ModelId FROM Models WHERE Input = Vision ORDER BY UpstreamAccuracy DESC LIMIT 1;
Q4 := Q1 UNION SELECT ModelId FROM Models WHERE Input = Vision AND ModelId NOT IN Q1
      ORDER BY Linear(lr=0.1) ASC LIMIT 1 TESTED ON TestReader TRAINED ON TrainReader;
