-- Schema 2: several instances over one database.
--
-- Every committed change is announced on the channel `gridmap_changes` (payload: its id),
-- so other instances purge their tile caches and reload at once instead of polling.
--
-- A grid row written by plain SQL (a DBA's UPDATE, another tool) is logged as a change of
-- its own, with the area of the rows before and after, so instances pick it up like any
-- other write. gridmap's own writes set `gridmap.writer` for their transaction and log
-- themselves, with their before-state.

CREATE FUNCTION gridmap_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gridmap_changes', NEW.id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER changes_are_announced AFTER INSERT ON changes
    FOR EACH ROW EXECUTE FUNCTION gridmap_announce_change();

-- One change per statement: its rows' area and how many there were.
CREATE FUNCTION gridmap_log_direct_grid_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    area box2d;
    touched bigint;
BEGIN
    IF current_setting('gridmap.writer', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT ST_Extent(polygon), COUNT(*) INTO area, touched FROM written;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT ST_Extent(polygon), COUNT(*) INTO area, touched FROM removed;
    ELSE
        SELECT ST_Extent(polygon), COUNT(*) / 2 INTO area, touched
        FROM (SELECT polygon FROM written UNION ALL SELECT polygon FROM removed) rows;
    END IF;
    IF touched = 0 THEN
        RETURN NULL;
    END IF;
    INSERT INTO changes (at, actor, operation, min_lon, min_lat, max_lon, max_lat)
    VALUES (extract(epoch FROM now())::bigint, 'sql:' || session_user,
            format('direct SQL %s of %s grid(s)', lower(TG_OP), touched),
            ST_XMin(area), ST_YMin(area), ST_XMax(area), ST_YMax(area));
    RETURN NULL;
END $$;

CREATE TRIGGER grids_inserted_by_sql AFTER INSERT ON grids
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_log_direct_grid_write();
CREATE TRIGGER grids_updated_by_sql AFTER UPDATE ON grids
    REFERENCING OLD TABLE AS removed NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_log_direct_grid_write();
CREATE TRIGGER grids_deleted_by_sql AFTER DELETE ON grids
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_log_direct_grid_write();
