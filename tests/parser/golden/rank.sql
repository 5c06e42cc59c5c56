-- RANK cols FROM table ... BY "scorer".
RANK * FROM models TRAINED ON a TESTED ON b BY "leep";
rank name, source from image_models where source = "vtab" trained on "x" tested on "y" limit 5 by 'random';
