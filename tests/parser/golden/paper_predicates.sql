-- BETWEEN, IN, IS NULL, LIKE in the paper dialect: upper-case keywords, paper column names.
SELECT ModelId FROM Models WHERE NumParams BETWEEN 1M AND 10M AND Input == 'Vision';
SELECT ModelId FROM Models WHERE Input IN (Vision, Text) AND ModelId NOT IN Q1;
SELECT ModelId FROM Models WHERE UpstreamAccuracy IS NOT NULL AND DateAdded IS NULL;
SELECT ModelId FROM Models WHERE ModelId LIKE 'vit%' OR NOT ModelId LIKE "%-large";
