-- Schema 15: the footprints' Web-Mercator copy (schema 3) is projected by gridmap itself
-- on every core while it encodes an import, instead of by the database row by row in
-- the one backend process that runs the import (about half of a county's import time).
--
-- The copy still cannot disagree with `footprint` for any other writer: a row written
-- outside gridmap (plain SQL, another tool), or by gridmap without the copy, is
-- projected here. gridmap's writes set `gridmap.writer` for their transaction (schema 2)
-- and send the copy projected by the same formula (gridmap_core::mercator). The WHEN
-- clauses keep gridmap's own rows from calling the function at all.

ALTER TABLE buildings ALTER COLUMN footprint_mercator DROP EXPRESSION;

-- A tile finds its rows through the footprints' own GiST index, with its envelope turned
-- into lon/lat once (Web Mercator maps a box to a box): a second spatial index on the
-- copy cost every import and edit its upkeep (a county's import: half a second more)
-- and found the same rows.
DROP INDEX buildings_footprint_mercator;

CREATE FUNCTION buildings_project_footprint() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.footprint_mercator := ST_ForcePolygonCW(ST_Transform(NEW.footprint, 3857));
    RETURN NEW;
END $$;

CREATE TRIGGER buildings_projected_on_insert BEFORE INSERT ON buildings
    FOR EACH ROW
    WHEN (NEW.footprint_mercator IS NULL
          OR current_setting('gridmap.writer', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION buildings_project_footprint();

-- An update that moves the footprint and leaves the copy as it was (plain SQL setting
-- `footprint` only) is projected again, whoever writes it.
CREATE TRIGGER buildings_projected_on_update BEFORE UPDATE OF footprint, footprint_mercator
    ON buildings
    FOR EACH ROW
    WHEN (NEW.footprint_mercator IS NULL
          OR current_setting('gridmap.writer', true) IS DISTINCT FROM 'on'
          OR (NEW.footprint IS DISTINCT FROM OLD.footprint
              AND NEW.footprint_mercator IS NOT DISTINCT FROM OLD.footprint_mercator))
    EXECUTE FUNCTION buildings_project_footprint();
