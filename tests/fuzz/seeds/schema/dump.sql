\restrict x
SET search_path = '';
SELECT pg_catalog.set_config('search_path', 'public', false);
CREATE TABLE public.t (a integer NOT NULL, b text);
COPY public.t (a, b) FROM stdin;
1	x
\.
ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (a);
CREATE SEQUENCE public.t_a_seq AS integer;
ALTER SEQUENCE public.t_a_seq OWNED BY public.t.a;
CREATE TABLE broken (;
