RANK * FROM models BY "leep" WAIT WAIT;
RANK * FROM models WAIT BY "leep" WAIT;
RANK * FROM models BY "leep" LIMIT 1;
