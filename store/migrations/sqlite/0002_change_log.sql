-- Schema 2: one append-only change log for every write, with the records before and
-- after (JSON) so edits can be undone; stored settings (partition parameters).

CREATE TABLE changes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    operation TEXT NOT NULL,
    min_lon REAL, min_lat REAL, max_lon REAL, max_lat REAL,
    before    TEXT NOT NULL DEFAULT '{}',
    after     TEXT NOT NULL DEFAULT '{}'
);

-- Earlier grid changes keep their ids (servers compare ids) but have no records.
INSERT INTO changes (id, at, actor, operation, min_lon, min_lat, max_lon, max_lat)
    SELECT id, at, actor, action, min_lon, min_lat, max_lon, max_lat FROM grid_changes;
DROP TABLE grid_changes;

CREATE TRIGGER changes_are_never_updated BEFORE UPDATE ON changes
BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;
CREATE TRIGGER changes_are_never_deleted BEFORE DELETE ON changes
BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
