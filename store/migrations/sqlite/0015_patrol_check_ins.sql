-- Schema 15: patrol check-ins (巡查签到) from the phone (issue #17): who was where, when,
-- stored once by the id the phone made.
CREATE TABLE check_ins (
    id TEXT PRIMARY KEY,
    actor TEXT NOT NULL,
    at INTEGER NOT NULL,
    lon REAL NOT NULL,
    lat REAL NOT NULL,
    grid TEXT,
    note TEXT
);
CREATE INDEX check_ins_grid ON check_ins (grid, at);
