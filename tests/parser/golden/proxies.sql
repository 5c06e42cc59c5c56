-- CLASSIFIED BY: one proxy or a list, every spelling, parameter aliases.
SELECT * FROM models ORDER BY err CLASSIFIED BY ["Euclidean NN"];
SELECT * FROM models ORDER BY err CLASSIFIED BY ["Cosine NN", CosineNN, "cosine_nn"];
SELECT * FROM models ORDER BY err CLASSIFIED BY [EuclideanNN, L2NN, "L2 NN"];
SELECT * FROM models ORDER BY err CLASSIFIED BY Linear(learning_rate=0.01, num_epochs=2000);
SELECT * FROM models ORDER BY err CLASSIFIED BY [LinearProbe, "Linear", linear(lr=0.1, epochs=100)];
SELECT * FROM models ORDER BY err CLASSIFIED BY [kNN(k=5), LogME, LEEP, FineTune(epochs=3)];
SELECT * FROM models ORDER BY err CLASSIFIED BY ["My Scorer", custom(alpha=1.5, mode="fast")];
