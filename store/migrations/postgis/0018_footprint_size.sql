-- Schema 18: each footprint's size on the map, kept with its row: the longer side of its
-- Web-Mercator bounding box, in Web-Mercator metres. A buildings tile leaves out the
-- footprints smaller than half a pixel; measuring each footprint's geometry for that
-- (four box computations per row) took about a fifth of the tile statement's time, a
-- stored number takes one comparison.
--
-- gridmap's writers send it with the projected copy (migration 15, the same coordinates);
-- the projection trigger sets it for every other writer, so it cannot disagree with the
-- copy either.

ALTER TABLE buildings ADD COLUMN mercator_size double precision;

UPDATE buildings
SET mercator_size = GREATEST(ST_XMax(footprint_mercator) - ST_XMin(footprint_mercator),
                             ST_YMax(footprint_mercator) - ST_YMin(footprint_mercator));

CREATE OR REPLACE FUNCTION buildings_project_footprint() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.footprint_mercator := ST_ForcePolygonCW(ST_Transform(NEW.footprint, 3857));
    NEW.mercator_size := GREATEST(ST_XMax(NEW.footprint_mercator) - ST_XMin(NEW.footprint_mercator),
                                  ST_YMax(NEW.footprint_mercator) - ST_YMin(NEW.footprint_mercator));
    RETURN NEW;
END $$;

DROP TRIGGER buildings_projected_on_insert ON buildings;
CREATE TRIGGER buildings_projected_on_insert BEFORE INSERT ON buildings
    FOR EACH ROW
    WHEN (NEW.footprint_mercator IS NULL OR NEW.mercator_size IS NULL
          OR current_setting('gridmap.writer', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION buildings_project_footprint();

-- As in migration 15, and a write by gridmap that left the size out is measured here.
DROP TRIGGER buildings_projected_on_update ON buildings;
CREATE TRIGGER buildings_projected_on_update
    BEFORE UPDATE OF footprint, footprint_mercator, mercator_size ON buildings
    FOR EACH ROW
    WHEN (NEW.footprint_mercator IS NULL OR NEW.mercator_size IS NULL
          OR current_setting('gridmap.writer', true) IS DISTINCT FROM 'on'
          OR (NEW.footprint IS DISTINCT FROM OLD.footprint
              AND NEW.footprint_mercator IS NOT DISTINCT FROM OLD.footprint_mercator))
    EXECUTE FUNCTION buildings_project_footprint();
