-- Schema 4: one area index instead of three. Every incident insert paid for a B-tree per
-- index; the grid index also answers village and township filters, because a grid code
-- starts with its village's code, which starts with its township's (see `push_filter`).
-- Incidents outside every grid are found through the same index (grid IS NULL).

DROP INDEX incidents_township;
DROP INDEX incidents_village;
