-- Schema 8: photos, as in the embedded store's schema 13 (bytea: a photo is at most a
-- few megabytes, and bytea is written in the same transaction as everything else).
CREATE TABLE photos (
    id TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL
);
