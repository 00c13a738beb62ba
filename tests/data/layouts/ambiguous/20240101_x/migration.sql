CREATE TABLE amb2 (id int);
