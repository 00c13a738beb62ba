CREATE TABLE alm_ref (id int PRIMARY KEY);
CREATE TABLE alm_t (id serial PRIMARY KEY, ref_id int, n int, body text);
CREATE INDEX alm_t_n ON alm_t (n);
ALTER TABLE alm_t ADD COLUMN a int, ADD COLUMN b int DEFAULT 1;
ALTER TABLE alm_t ADD COLUMN c int, ADD CONSTRAINT alm_t_fk FOREIGN KEY (ref_id) REFERENCES alm_ref (id);
ALTER TABLE alm_t ALTER COLUMN n TYPE bigint, ALTER COLUMN n SET NOT NULL;
ALTER TABLE alm_t DROP COLUMN a, DROP COLUMN c, ADD CONSTRAINT alm_t_chk CHECK (b > 0);
ALTER TABLE alm_t SET (fillfactor = 80), ALTER COLUMN b SET STATISTICS 10;
ALTER TABLE IF EXISTS alm_missing ADD COLUMN x int;
