-- flyway:executeInTransaction=false
ALTER TABLE accounts ADD COLUMN f int;
ALTER TABLE accounts ADD COLUMN g int;
