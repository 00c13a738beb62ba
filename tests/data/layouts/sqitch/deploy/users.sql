-- Deploy flipr:users to pg (reworked)

BEGIN;

ALTER TABLE flipr.users ADD COLUMN email text;

COMMIT;
