CREATE TABLE ca_src (id int PRIMARY KEY, v text);
CREATE TABLE ca_src2 (id int, w text);
CREATE TABLE ca_copy AS SELECT * FROM ca_src;
CREATE TABLE ca_join AS SELECT s.id, t.w FROM ca_src s JOIN ca_src2 t ON t.id = s.id;
SELECT * INTO ca_into FROM ca_src2;
CREATE TABLE ca_nodata AS SELECT * FROM ca_src WITH NO DATA;
CREATE TABLE ca_const AS SELECT 1 AS one;
CREATE TABLE ca_sub AS SELECT id FROM ca_src WHERE id IN (SELECT id FROM ca_src2);
