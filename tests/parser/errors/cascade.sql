-- Cascades written wrong: static problems.
SELECT name FROM models ORDER BY Linear(CosineNN, LogME) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY Cascade(FineTune, LogME) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY Cascade(CosineNN, LogME, keep=0) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY Cascade(CosineNN, LogME, keep=[4, 2]) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY Cascade(a, b, c, keep=[4, 2, 1]) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY Cascade(CosineNN, LogME, keep=2.5) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY Cascade(CosineNN, LogME, depth=2) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY Cascade(CosineNN, LogME, prior=3) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY Cascade(CosineNN, LogME, keep=2, keep=3) TRAINED ON a TESTED ON b;
SELECT name FROM models ORDER BY Cascade(CosineNN) TRAINED ON a TESTED ON b;
