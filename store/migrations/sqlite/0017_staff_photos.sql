-- Schema 17: the photo on a staff member's notice board (issue #17), one per staff id,
-- kept apart from the roster so that importing the roster again keeps the photos.
CREATE TABLE staff_photos (
    staff TEXT PRIMARY KEY,
    photo TEXT NOT NULL REFERENCES photos (id)
);
