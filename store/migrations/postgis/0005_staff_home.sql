-- Schema 5: where a staff member lives (WGS84), as in the embedded store's schema 10.
-- Two numbers like a household's lon/lat: it is only read with the roster, never
-- queried by place.
ALTER TABLE staff ADD COLUMN home_lon DOUBLE PRECISION;
ALTER TABLE staff ADD COLUMN home_lat DOUBLE PRECISION;
