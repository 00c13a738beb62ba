CREATE TABLE alu_t (id serial PRIMARY KEY, n int, body text);
CREATE INDEX alu_t_n ON alu_t (n);
CREATE TABLE alu_ref (id int PRIMARY KEY);
CREATE UNLOGGED TABLE alu_u (id bigserial PRIMARY KEY, ref_id int REFERENCES alu_ref (id), body text);
ALTER TABLE alu_t SET UNLOGGED;
ALTER TABLE alu_t SET LOGGED;
ALTER TABLE alu_u SET LOGGED;
ALTER TABLE alu_t SET UNLOGGED, SET (fillfactor = 50);
