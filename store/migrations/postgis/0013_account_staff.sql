-- Schema 13: the account's staff member, as in the embedded store's schema 18.
ALTER TABLE accounts ADD COLUMN staff TEXT;
