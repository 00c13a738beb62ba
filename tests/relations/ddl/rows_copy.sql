CREATE TABLE rwc_ref (id int PRIMARY KEY);
CREATE TABLE rwc_t (id int, ref_id int REFERENCES rwc_ref (id) ON DELETE RESTRICT);
CREATE TABLE rwc_src AS SELECT g AS id FROM generate_series(1, 3) g;
INSERT INTO rwc_ref SELECT id FROM rwc_src;
TRUNCATE rwc_src;
INSERT INTO rwc_t SELECT id, id FROM rwc_src;
DELETE FROM rwc_ref WHERE id = 3;
