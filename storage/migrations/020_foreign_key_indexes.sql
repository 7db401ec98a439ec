-- Issue 17: an index on every column that refers to another row. With foreign keys on,
-- SQLite looks up the referring rows of each row it deletes; without an index that is a scan
-- of the whole referring table per deleted row. The daily housekeeping deleting 10 000 old
-- outbox rows took 10.5 s that way (outbox.edit_of), in one write transaction; /unohda of a
-- person scanned attendance, contact_requests and open_items the same way.
-- Mostly empty columns get partial indexes (SQLite uses them for these lookups).
CREATE INDEX outbox_edit_of ON outbox (edit_of) WHERE edit_of IS NOT NULL;
CREATE INDEX meetings_continues ON meetings (continues) WHERE continues IS NOT NULL;
CREATE INDEX open_items_request ON open_items (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX open_items_user ON open_items (user_id);
CREATE INDEX attendance_user ON attendance (user_id);
CREATE INDEX contact_requests_user ON contact_requests (user_id);
