-- Cascades and AUTO written wrong: syntax errors.
SELECT name FROM models ORDER BY Cascade(CosineNN, keep=2) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY Cascade(CosineNN, LogME, keep=2, Linear) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY Cascade(CosineNN, LogME,) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY Cascade(CosineNN LogME) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY Cascade(CosineNN, 3) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY AUTO( TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY AUTO(regret) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY AUTO regret TRAINED ON a TESTED ON b;
