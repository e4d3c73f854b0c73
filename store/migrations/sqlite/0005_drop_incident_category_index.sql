-- Schema 5: no category index. Category filters match the type or the subtype
-- (`category IN (…) OR subcategory IN (…)`, see `push_filter`), which this index cannot
-- answer alone, and category counts group a time window that the time index already
-- selects; every incident insert still paid for its B-tree (9% of an import's writing).

DROP INDEX incidents_category;
