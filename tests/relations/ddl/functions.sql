CREATE TABLE fn_t (id int);
CREATE FUNCTION fn_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM fn_t';
CREATE FUNCTION fn_pl() RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT count(*) FROM fn_t); END $$;
COMMENT ON FUNCTION fn_pl() IS 'x';
GRANT EXECUTE ON FUNCTION fn_pl() TO PUBLIC;
SELECT fn_pl();
