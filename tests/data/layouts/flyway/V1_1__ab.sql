ALTER TABLE accounts ADD COLUMN a int;
ALTER TABLE accounts ADD COLUMN b int;
