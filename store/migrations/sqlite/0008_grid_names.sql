-- Schema 8: a name planners give a grid (issue #11, rename). The code stays the grid's
-- identity; the name is shown on the map and in exports. NULL: no name given.

ALTER TABLE grids ADD COLUMN name TEXT;
