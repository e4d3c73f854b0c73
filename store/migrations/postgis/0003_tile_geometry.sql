-- Schema 3: building tiles drawn by PostGIS itself (ST_AsMVT), for counties whose
-- footprints an instance should not hold in memory (see store/src/postgis/tiles.rs).
--
-- Each footprint is kept a second time in Web-Mercator, computed by the database so it
-- can never disagree with `footprint` (imports, edits and plain SQL alike): a tile then
-- transforms nothing and finds its rows through this column's own GiST index. Exterior
-- rings are stored clockwise (y up), so once flipped into tile coordinates (y down) they
-- wind as the MVT specification wants without a per-tile ST_ForcePolygon… call.
--
-- Buildings need no coarser copy per zoom: they are drawn from zoom 14 on, where snapping
-- to the tile's grid (0.6 m at z14) is all the generalisation a house needs, and a tile
-- leaves out footprints smaller than half a pixel as the in-memory path does.

ALTER TABLE buildings ADD COLUMN footprint_mercator geometry(MultiPolygon, 3857)
    GENERATED ALWAYS AS (ST_ForcePolygonCW(ST_Transform(footprint, 3857))) STORED;
CREATE INDEX buildings_footprint_mercator ON buildings USING GIST (footprint_mercator);
