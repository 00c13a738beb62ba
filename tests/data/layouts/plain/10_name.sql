-- ten sorts after two
ALTER TABLE users ADD COLUMN name text;
