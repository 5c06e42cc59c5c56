SELECT * FROM models WHERE name = 'unterminated;
SELECT * FROM models;
