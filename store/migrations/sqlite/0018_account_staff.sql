-- Schema 18: an account names the roster's staff member who signs in with it (issue #17):
-- the phone's to-do list holds the work orders dispatched to that staff id.
ALTER TABLE accounts ADD COLUMN staff TEXT;
