-- Schema 14: each building row carries the grids holding it, for the building tiles
-- PostGIS draws (store/src/postgis/tiles.rs).
--
-- A tile used to find the grids of its buildings by expanding the member lists of every
-- grid reaching the tile, which cost as much as drawing the tile. The member lists are
-- now kept as rows (`grid_members`, one per member entry, as the lists hold them) and
-- their result on each building: `grids` (codes comma-joined in code order) and `split`
-- (held by more than one entry), read with the building. Measured against a table of
-- their own joined by key: a dense tile spent a third of its time in that join.
--
-- Triggers on `grids` keep both up to date for every write: gridmap's own, a DBA's plain
-- SQL, a restore. A building row is written again only where its grids change, so the
-- cost falls on a county's first partition (every building gets its grids once); a
-- building added after its grids (a re-import) is brought up to date by the import.

CREATE TABLE grid_members (
    grid     TEXT COLLATE "C" NOT NULL,
    building TEXT COLLATE "C" NOT NULL
);
CREATE INDEX grid_members_grid ON grid_members (grid);
CREATE INDEX grid_members_building ON grid_members (building);

ALTER TABLE buildings
    ADD COLUMN grids TEXT COLLATE "C",
    ADD COLUMN split BOOLEAN NOT NULL DEFAULT false;

-- Sets `grids` and `split` of the buildings named from `grid_members`; rows already
-- right are left alone (no new row version).
CREATE FUNCTION refresh_building_grids(touched TEXT[]) RETURNS void LANGUAGE sql AS $$
    UPDATE buildings b
    SET grids = held.grids, split = held.split
    FROM (
        SELECT t.building COLLATE "C" AS building,
               string_agg(m.grid, ',' ORDER BY m.grid) AS grids,
               count(m.grid) > 1 AS split
        FROM unnest(touched) AS t(building)
        LEFT JOIN grid_members m ON m.building = t.building COLLATE "C"
        GROUP BY 1
    ) held
    WHERE b.source_id = held.building
      AND (b.grids IS DISTINCT FROM held.grids OR b.split IS DISTINCT FROM held.split);
$$;

-- One run per statement over its transition tables (`written`, `removed`).
CREATE FUNCTION gridmap_grid_members_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched TEXT[];
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM grid_members WHERE grid IN (SELECT code FROM removed);
        touched := ARRAY(
            SELECT DISTINCT m->>'building'
            FROM removed r, jsonb_array_elements(r.members::jsonb) m);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO grid_members (grid, building)
        SELECT w.code, m->>'building'
        FROM written w, jsonb_array_elements(w.members::jsonb) m;
        touched := ARRAY(
            SELECT unnest(touched)
            UNION
            SELECT m->>'building' FROM written w, jsonb_array_elements(w.members::jsonb) m);
    END IF;
    PERFORM refresh_building_grids(touched);
    RETURN NULL;
END $$;

CREATE TRIGGER grid_members_inserted AFTER INSERT ON grids
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_grid_members_changed();
CREATE TRIGGER grid_members_updated AFTER UPDATE ON grids
    REFERENCING OLD TABLE AS removed NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_grid_members_changed();
CREATE TRIGGER grid_members_deleted AFTER DELETE ON grids
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_grid_members_changed();

-- The grids already stored.
INSERT INTO grid_members (grid, building)
SELECT g.code, m->>'building' FROM grids g, jsonb_array_elements(g.members::jsonb) m;
SELECT refresh_building_grids(ARRAY(SELECT DISTINCT building FROM grid_members));
