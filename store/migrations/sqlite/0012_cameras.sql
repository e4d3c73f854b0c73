-- Schema 12: video cameras (雪亮工程 points, issue #16). Not personal data. Direction is
-- a compass bearing in degrees (NULL: a dome that sees all round), fov degrees, range
-- metres.
CREATE TABLE cameras (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    lon REAL NOT NULL,
    lat REAL NOT NULL,
    direction REAL,
    fov REAL NOT NULL,
    range_m REAL NOT NULL,
    status TEXT NOT NULL
);
