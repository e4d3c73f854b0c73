-- gridmap shared store on PostgreSQL 15 + PostGIS 3, schema 1: the embedded store's
-- schema 8 (store/migrations/sqlite) in PostgreSQL's types. Geometries are
-- geometry(…, 4326) with GiST indexes; rows travel as WKB, never as text. Integers are
-- BIGINT so both backends decode the same Rust types; JSON documents (grid members,
-- staff grid lists, change records) are kept as text, as written. Text compares byte by
-- byte (COLLATE "C"), as in SQLite: codes and ids sort the same in both stores, and keys
-- compare several times faster than under a linguistic collation.

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE admin_units (
    code      TEXT COLLATE "C" PRIMARY KEY,
    name      TEXT COLLATE "C" NOT NULL,
    level     TEXT COLLATE "C" NOT NULL CHECK (level IN ('county', 'township', 'village')),
    parent    TEXT COLLATE "C",
    source_id TEXT COLLATE "C" NOT NULL UNIQUE,
    boundary  geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX admin_units_boundary ON admin_units USING GIST (boundary);

CREATE TABLE buildings (
    source_id        TEXT COLLATE "C" PRIMARY KEY,
    footprint        geometry(MultiPolygon, 4326) NOT NULL,
    building_use     TEXT COLLATE "C" NOT NULL,
    levels           BIGINT,
    height           DOUBLE PRECISION,
    households       BIGINT NOT NULL,
    household_source TEXT COLLATE "C" NOT NULL,
    address          TEXT COLLATE "C",
    village          TEXT COLLATE "C"
-- Room on each page, so the register's household counts (set after the buildings) update
-- in place (HOT) instead of adding entries to every index, the GiST index above all.
) WITH (fillfactor = 85);
CREATE INDEX buildings_village ON buildings (village);
CREATE INDEX buildings_footprint ON buildings USING GIST (footprint);

CREATE TABLE barriers (
    source_id TEXT COLLATE "C" PRIMARY KEY,
    kind      TEXT COLLATE "C" NOT NULL,
    line      geometry(MultiLineString, 4326) NOT NULL
);
CREATE INDEX barriers_line ON barriers USING GIST (line);

-- Personal data (head, phone, members, tags): never copied into tiles or logs.
CREATE TABLE households (
    id       TEXT COLLATE "C" PRIMARY KEY,
    building TEXT COLLATE "C",
    lon      DOUBLE PRECISION,
    lat      DOUBLE PRECISION,
    entrance TEXT COLLATE "C",
    floor    BIGINT,
    unit     TEXT COLLATE "C",
    address  TEXT COLLATE "C",
    head     TEXT COLLATE "C",
    phone    TEXT COLLATE "C",
    members  BIGINT,
    tags     TEXT COLLATE "C" NOT NULL DEFAULT '[]'
);
CREATE INDEX households_building ON households (building);

CREATE TABLE staff (
    id    TEXT COLLATE "C" PRIMARY KEY,
    name  TEXT COLLATE "C" NOT NULL,
    phone TEXT COLLATE "C",
    role  TEXT COLLATE "C" NOT NULL,
    area  TEXT COLLATE "C",
    grids TEXT COLLATE "C" NOT NULL DEFAULT '[]'
);

CREATE TABLE grids (
    code        TEXT COLLATE "C" PRIMARY KEY,
    level       BIGINT NOT NULL,
    parent      TEXT COLLATE "C",
    village     TEXT COLLATE "C" NOT NULL,
    households  BIGINT NOT NULL,
    members     TEXT COLLATE "C" NOT NULL,
    polygon     geometry(MultiPolygon, 4326) NOT NULL,
    staff       TEXT COLLATE "C",
    locked      BOOLEAN NOT NULL DEFAULT FALSE,
    institution BOOLEAN NOT NULL DEFAULT FALSE,
    version     BIGINT NOT NULL DEFAULT 1,
    name        TEXT COLLATE "C"
);
CREATE INDEX grids_village ON grids (village);
CREATE INDEX grids_polygon ON grids USING GIST (polygon);

CREATE TABLE incidents (
    id             TEXT COLLATE "C" PRIMARY KEY,
    time           BIGINT NOT NULL,
    category       TEXT COLLATE "C" NOT NULL,
    subcategory    TEXT COLLATE "C",
    status         TEXT COLLATE "C" NOT NULL,
    lon            DOUBLE PRECISION NOT NULL,
    lat            DOUBLE PRECISION NOT NULL,
    grid           TEXT COLLATE "C",
    reporter       TEXT COLLATE "C",
    description    TEXT COLLATE "C",
    reporter_phone TEXT COLLATE "C",
    source         TEXT COLLATE "C",
    address        TEXT COLLATE "C",
    village        TEXT COLLATE "C",
    township       TEXT COLLATE "C",
    assignee       TEXT COLLATE "C",
    due            BIGINT,
    paused         BIGINT NOT NULL DEFAULT 0,
    closed_at      BIGINT,
    late_stages    BIGINT NOT NULL DEFAULT 0,
    rating         BIGINT,
    work           TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    version        BIGINT NOT NULL DEFAULT 1,
    updated        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX incidents_time ON incidents (time);
CREATE INDEX incidents_status ON incidents (status, time);
-- The grid index also answers village and township filters: a grid code starts with
-- its village's code, which starts with its township's.
CREATE INDEX incidents_grid ON incidents (grid, time);
CREATE INDEX incidents_due ON incidents (due) WHERE due IS NOT NULL;

CREATE TABLE incident_transitions (
    incident    TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    actor       TEXT COLLATE "C" NOT NULL,
    action      TEXT COLLATE "C" NOT NULL,
    from_status TEXT COLLATE "C" NOT NULL,
    to_status   TEXT COLLATE "C" NOT NULL,
    note        TEXT COLLATE "C",
    photo       TEXT COLLATE "C",
    -- the action with its fields (assignee, rating, mediator…), JSON
    detail      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (incident, seq)
);

-- One append-only change log for every write, with the records before and after (JSON)
-- so edits can be undone, and the area each touched so tile caches purge exactly that.
CREATE TABLE changes (
    id        BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at        BIGINT NOT NULL,
    actor     TEXT COLLATE "C" NOT NULL,
    operation TEXT COLLATE "C" NOT NULL,
    min_lon DOUBLE PRECISION, min_lat DOUBLE PRECISION,
    max_lon DOUBLE PRECISION, max_lat DOUBLE PRECISION,
    before    TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    after     TEXT COLLATE "C" NOT NULL DEFAULT '{}'
);

CREATE FUNCTION gridmap_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;

CREATE TRIGGER changes_are_append_only BEFORE UPDATE OR DELETE ON changes
    FOR EACH ROW EXECUTE FUNCTION gridmap_refuse_change();
CREATE TRIGGER incident_transitions_are_append_only BEFORE UPDATE OR DELETE ON incident_transitions
    FOR EACH ROW EXECUTE FUNCTION gridmap_refuse_change();

CREATE TABLE settings (
    key   TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
);

-- Named versions of a village's plan: `grids` as in store/src/versions.rs. An identity
-- never gives a deleted version's id to a later one.
CREATE TABLE plan_versions (
    id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    village    TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    actor      TEXT COLLATE "C" NOT NULL,
    households BIGINT NOT NULL,
    grid_count BIGINT NOT NULL,
    grids      BYTEA NOT NULL,
    UNIQUE (village, name)
);
