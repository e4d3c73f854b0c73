-- Schema 13: photos staff attach to reports and visits (issue #17), stored once by the
-- id the phone made. Kept beside the records, so a backup holds them too.
CREATE TABLE photos (
    id TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    actor TEXT NOT NULL,
    at INTEGER NOT NULL
);
