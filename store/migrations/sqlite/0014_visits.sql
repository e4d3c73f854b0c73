-- Schema 14: household visits (走访) staff record on the phone (issue #17), stored once by
-- the id the phone made. The note is personal data.
CREATE TABLE visits (
    id TEXT PRIMARY KEY,
    household TEXT NOT NULL,
    actor TEXT NOT NULL,
    at INTEGER NOT NULL,
    note TEXT,
    follow_up INTEGER NOT NULL DEFAULT 0,
    photos TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX visits_household ON visits (household, at);
