-- Schema 7: named versions of a village's plan (issue #11), copies of its grids saved
-- under a name unique in the village. AUTOINCREMENT: the id of a deleted version is
-- never given to a later one, so a client holding it cannot restore the wrong plan.
-- `grids` is every grid in turn as two length-prefixed parts, the grid's fields as
-- JSON (polygon left empty) and its polygon as WKB, like the grids table's columns
-- (see `store/src/sqlite/versions.rs`).

CREATE TABLE plan_versions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    village    TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    actor      TEXT NOT NULL,
    households INTEGER NOT NULL,
    grid_count INTEGER NOT NULL,
    grids      BLOB NOT NULL,
    UNIQUE (village, name)
);
