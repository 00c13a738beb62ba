-- Revert flipr:users (reworked) from pg

BEGIN;
ALTER TABLE flipr.users DROP COLUMN email;
COMMIT;
