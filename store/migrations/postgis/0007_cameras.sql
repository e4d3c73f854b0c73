-- Schema 7: video cameras, as in the embedded store's schema 12. The point is indexed
-- for tiles and reports drawn by place.
CREATE TABLE cameras (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    geom geometry(Point, 4326) NOT NULL,
    direction DOUBLE PRECISION,
    fov DOUBLE PRECISION NOT NULL,
    range_m DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('online', 'offline', 'fault'))
);
CREATE INDEX cameras_geom ON cameras USING gist (geom);
