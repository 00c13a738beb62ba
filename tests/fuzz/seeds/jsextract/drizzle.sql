CREATE TABLE a (id int);
--> statement-breakpoint
ALTER TABLE a ADD b int;
--> statement-breakpoint
