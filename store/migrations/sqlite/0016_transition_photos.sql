-- Schema 16: a step of an incident's timeline keeps several photos (issue #17: a report
-- from the phone carries up to nine), as a JSON array of references instead of one.
-- The append-only trigger is set aside for this one rewrite of the old column and put back.
ALTER TABLE incident_transitions ADD COLUMN photos TEXT NOT NULL DEFAULT '[]';
DROP TRIGGER incident_transitions_are_never_updated;
UPDATE incident_transitions SET photos = json_array(photo) WHERE photo IS NOT NULL;
CREATE TRIGGER incident_transitions_are_never_updated BEFORE UPDATE ON incident_transitions
BEGIN SELECT RAISE(ABORT, 'incident transitions are append-only'); END;
ALTER TABLE incident_transitions DROP COLUMN photo;
