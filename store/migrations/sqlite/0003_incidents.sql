-- Schema 3: the incident loop. Incidents gain their place in the county (grid, village,
-- township), the loop's state (assignee, the current stage's deadline, closing,
-- rating, the rest as JSON) and a version for optimistic writes; every transition is kept
-- in an append-only table. Indexes serve the map and wall (time window, bbox) and the
-- counters (status, area).

ALTER TABLE incidents ADD COLUMN reporter_phone TEXT;
ALTER TABLE incidents ADD COLUMN source TEXT;
ALTER TABLE incidents ADD COLUMN address TEXT;
ALTER TABLE incidents ADD COLUMN village TEXT;
ALTER TABLE incidents ADD COLUMN township TEXT;
ALTER TABLE incidents ADD COLUMN assignee TEXT;
ALTER TABLE incidents ADD COLUMN due INTEGER;
ALTER TABLE incidents ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN closed_at INTEGER;
ALTER TABLE incidents ADD COLUMN late_stages INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN rating INTEGER;
ALTER TABLE incidents ADD COLUMN work TEXT NOT NULL DEFAULT '{}';
ALTER TABLE incidents ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE incidents ADD COLUMN updated INTEGER NOT NULL DEFAULT 0;
UPDATE incidents SET updated = time;

CREATE INDEX incidents_lon_lat ON incidents (lon, lat);
CREATE INDEX incidents_status ON incidents (status, time);
CREATE INDEX incidents_category ON incidents (category, time);
CREATE INDEX incidents_township ON incidents (township, time);
CREATE INDEX incidents_village ON incidents (village, time);
CREATE INDEX incidents_grid ON incidents (grid, time);
CREATE INDEX incidents_due ON incidents (due) WHERE due IS NOT NULL;

CREATE TABLE incident_transitions (
    incident TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    note     TEXT,
    photo    TEXT,
    -- the action with its fields (assignee, rating, mediator…), JSON
    detail   TEXT NOT NULL,
    PRIMARY KEY (incident, seq)
) WITHOUT ROWID;

CREATE TRIGGER incident_transitions_are_never_updated BEFORE UPDATE ON incident_transitions
BEGIN SELECT RAISE(ABORT, 'incident transitions are append-only'); END;
CREATE TRIGGER incident_transitions_are_never_deleted BEFORE DELETE ON incident_transitions
BEGIN SELECT RAISE(ABORT, 'incident transitions are append-only'); END;
