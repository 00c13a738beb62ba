CREATE TABLE dmp_t (id int, k int, v text) PARTITION BY RANGE (k);
CREATE TABLE dmp_1 PARTITION OF dmp_t FOR VALUES FROM (0) TO (10);
CREATE TABLE dmp_2 PARTITION OF dmp_t FOR VALUES FROM (10) TO (20);
CREATE INDEX dmp_t_id ON dmp_t (id);
UPDATE dmp_t SET v = 'b';
DELETE FROM dmp_t WHERE k = 1;
SELECT * FROM dmp_t;
INSERT INTO dmp_1 VALUES (2, 2, 'c');
INSERT INTO dmp_t SELECT g, g % 20, 'x' FROM generate_series(1, 40) g;
