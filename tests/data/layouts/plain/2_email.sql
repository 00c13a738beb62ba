ALTER TABLE users ADD COLUMN email text;
CREATE INDEX users_email ON users (email);
