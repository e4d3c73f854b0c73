-- Schema 9: household visits, as in the embedded store's schema 14.
CREATE TABLE visits (
    id TEXT PRIMARY KEY,
    household TEXT NOT NULL,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL,
    note TEXT,
    follow_up BOOLEAN NOT NULL DEFAULT false,
    photos TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX visits_household ON visits (household, at);
