CREATE TABLE "not_in_journal" (id int);
