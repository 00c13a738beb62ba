CREATE TYPE ea_mood AS ENUM ('a', 'b');
CREATE TABLE ea_t (id int, m ea_mood);
ALTER TYPE ea_mood ADD VALUE 'c';
ALTER TYPE ea_mood ADD VALUE IF NOT EXISTS 'd' BEFORE 'a';
