-- A file or picture sent with an announcement, stored once: every recipient's outbox row
-- points at it (outbox.file_id) instead of holding a copy of the bytes. A file waiting in a
-- coordinator's unfinished announcement has no broadcast yet (broadcast_id NULL); the
-- bytes are dropped when the broadcast is finished or cancelled.

CREATE TABLE broadcast_files (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    broadcast_id  INTEGER UNIQUE,                 -- NULL until the announcement is sent
    created_by    TEXT,                           -- the coordinator who sent the file
    filename      TEXT NOT NULL,
    mime_type     TEXT NOT NULL,
    content       BLOB,                           -- NULL once the broadcast has finished
    created_at    TEXT NOT NULL
);

ALTER TABLE outbox ADD COLUMN file_id INTEGER;
