-- SELECT vec is exactly SELECT vec FROM <datasets variable> WHERE probe = <models variable>.
SELECT vec FROM ds WHERE probe = m LIMIT 1;
SELECT vec FROM ds WHERE probe = m AND x = 1;
SELECT vec, name FROM ds WHERE probe = m;
select VEC from readers where PROBE = "resnet-50";
SELECT vec FROM image_models WHERE probe = m;
SELECT vec AS v FROM ds;
SELECT vec FROM ds WHERE probe != m;
SELECT vec FROM ds WHERE probe = m UNION SELECT * FROM models;
