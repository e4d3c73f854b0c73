-- Schema 6: no (lon, lat) index. Incidents arrive in no spatial order, so every insert
-- paid for a random-order B-tree (about 30% of an import's writing). A server answers
-- bbox lists from the incidents it holds in memory and reads the page by id
-- (`Service::find_incidents`); the store alone still answers a bbox, by scanning.

DROP INDEX incidents_lon_lat;
