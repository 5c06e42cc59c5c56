-- RANK … BY "scorer" WAIT, as the authors' extensions (client/shiftql/examples/extensions) write it.
explain json rank * from image_models where source='HuggingFace Transformers' ORDER BY err ASC trained on "vtab-cifar-train" tested on task "vtab-cifar-val" by "leep" wait;
RANK name FROM models TRAINED ON a TESTED ON b LIMIT 3 BY "random" WAIT;
DECLARE ranked AS RANK * FROM text_models BY 'logme' WAIT;
