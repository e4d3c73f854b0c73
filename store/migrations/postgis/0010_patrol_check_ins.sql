-- Schema 10: patrol check-ins, as in the embedded store's schema 15.
CREATE TABLE check_ins (
    id TEXT PRIMARY KEY,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    grid TEXT,
    note TEXT
);
CREATE INDEX check_ins_grid ON check_ins (grid, at);
