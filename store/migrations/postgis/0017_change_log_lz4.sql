-- The change log's before- and after-states are compressed with lz4 instead of pglz
-- when the server was built with it (PostgreSQL 14+; Debian's and most packages are).
-- A first import logs the keys of every row it wrote: about 9 MB of JSON for the
-- 313,591 footprints of `gridmap bench store`, which pglz took 50 ms to compress and
-- lz4 takes 13 ms. Rows already stored keep their compression; a server without lz4
-- keeps pglz.
DO $$
BEGIN
    ALTER TABLE changes ALTER COLUMN before SET COMPRESSION lz4,
                        ALTER COLUMN after SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available on this server: the change log stays compressed with pglz';
END $$;
