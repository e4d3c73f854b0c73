-- Schema 12: staff photos, as in the embedded store's schema 17.
CREATE TABLE staff_photos (
    staff TEXT PRIMARY KEY,
    photo TEXT NOT NULL REFERENCES photos (id)
);
