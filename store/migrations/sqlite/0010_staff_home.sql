-- Schema 10: where a staff member lives (WGS84), for proposing the grids nearest to it
-- (`gridmap staff assign`, issue #15). Personal data, like a household's phone.
ALTER TABLE staff ADD COLUMN home_lon REAL;
ALTER TABLE staff ADD COLUMN home_lat REAL;
