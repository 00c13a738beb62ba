ALTER TABLE users ADD COLUMN email text;
ALTER TABLE users ADD COLUMN name text;
