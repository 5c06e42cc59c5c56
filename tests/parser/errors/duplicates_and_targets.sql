SELECT * FROM m ORDER BY Linear(lr=0.1, learning_rate=0.2) TRAINED ON a TESTED ON b;
FINETUNE m WITH d USING lr=1, lr=2, epochs=3, num_epochs=4;
SELECT * FROM m ORDER BY err CLASSIFIED BY [kNN(k=1, k=2)];
USE "not a host";
USE localhost;
USE 'my-host:99999';
USE "my-host:0";
