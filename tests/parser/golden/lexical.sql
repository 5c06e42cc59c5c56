# Comments, quotes, numbers, case and layout.
-- a comment line
sElEcT * fRoM MoDeLs -- trailing comment
  wHeRe source = 'single' # another comment
  AnD name = "double" and uri = `back;tick`
  AND note = "semi;colon -- not a comment # nor this"
  and escaped = "say \"hi\"" and path = 'it\'s';
SELECT * FROM models WHERE a < 10K AND b < 10M AND c < 1.5B AND d = 2e-5 AND e = 1E3 AND f = .5 AND g = 3.0 AND h = 0.5k;
SELECT *
FROM models
WHERE
  num_params
    <
  10m
;;
SELECT * FROM models WHERE name = 'a' -- the last statement needs no semicolon
