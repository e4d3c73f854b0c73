-- gridmap embedded store, schema 1. Geometries are WKB (WGS84 lon/lat); each row keeps
-- its bounding box so area queries need no geometry decoding.

CREATE TABLE admin_units (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('county', 'township', 'village')),
    parent      TEXT,
    source_id   TEXT NOT NULL UNIQUE,
    boundary    BLOB NOT NULL,
    min_lon REAL NOT NULL, min_lat REAL NOT NULL, max_lon REAL NOT NULL, max_lat REAL NOT NULL
);

CREATE TABLE buildings (
    source_id        TEXT PRIMARY KEY,
    footprint        BLOB NOT NULL,
    building_use     TEXT NOT NULL,
    levels           INTEGER,
    height           REAL,
    households       INTEGER NOT NULL,
    household_source TEXT NOT NULL,
    address          TEXT,
    village          TEXT,
    min_lon REAL NOT NULL, min_lat REAL NOT NULL, max_lon REAL NOT NULL, max_lat REAL NOT NULL
);
CREATE INDEX buildings_village ON buildings (village);

CREATE TABLE barriers (
    source_id TEXT PRIMARY KEY,
    kind      TEXT NOT NULL,
    line      BLOB NOT NULL
);

-- Personal data (head, phone, members, tags): never copied into tiles or logs.
CREATE TABLE households (
    id        TEXT PRIMARY KEY,
    building  TEXT,
    lon       REAL,
    lat       REAL,
    entrance  TEXT,
    floor     INTEGER,
    unit      TEXT,
    address   TEXT,
    head      TEXT,
    phone     TEXT,
    members   INTEGER,
    tags      TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX households_building ON households (building);

CREATE TABLE staff (
    id     TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    phone  TEXT,
    role   TEXT NOT NULL,
    area   TEXT,
    grids  TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE grids (
    code        TEXT PRIMARY KEY,
    level       INTEGER NOT NULL,
    parent      TEXT,
    village     TEXT NOT NULL,
    households  INTEGER NOT NULL,
    members     TEXT NOT NULL,
    polygon     BLOB NOT NULL,
    staff       TEXT,
    locked      INTEGER NOT NULL DEFAULT 0,
    institution INTEGER NOT NULL DEFAULT 0,
    version     INTEGER NOT NULL DEFAULT 1,
    min_lon REAL NOT NULL, min_lat REAL NOT NULL, max_lon REAL NOT NULL, max_lat REAL NOT NULL
);
CREATE INDEX grids_village ON grids (village);

CREATE TABLE incidents (
    id          TEXT PRIMARY KEY,
    time        INTEGER NOT NULL,
    category    TEXT NOT NULL,
    subcategory TEXT,
    status      TEXT NOT NULL,
    lon         REAL NOT NULL,
    lat         REAL NOT NULL,
    grid        TEXT,
    reporter    TEXT,
    description TEXT
);
CREATE INDEX incidents_time ON incidents (time);

-- Every change to grids says which area it touched, so tile caches purge exactly that.
CREATE TABLE grid_changes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    villages  TEXT NOT NULL,
    grids_before INTEGER NOT NULL,
    grids_after  INTEGER NOT NULL,
    min_lon REAL, min_lat REAL, max_lon REAL, max_lat REAL
);
