DROP INDEX users_id;
