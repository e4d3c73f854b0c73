-- Schema 11: several photos per timeline step, as in the embedded store's schema 16 (a JSON
-- array of references). The append-only trigger is set aside for this one rewrite.
ALTER TABLE incident_transitions ADD COLUMN photos TEXT COLLATE "C" NOT NULL DEFAULT '[]';
ALTER TABLE incident_transitions DISABLE TRIGGER incident_transitions_are_append_only;
UPDATE incident_transitions SET photos = json_build_array(photo)::text WHERE photo IS NOT NULL;
ALTER TABLE incident_transitions ENABLE TRIGGER incident_transitions_are_append_only;
ALTER TABLE incident_transitions DROP COLUMN photo;
