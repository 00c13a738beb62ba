CREATE TABLE amb (id int);
