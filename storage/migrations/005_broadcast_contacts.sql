-- Broadcasts to "people who asked to be contacted" (the contact_requests of 004): the
-- audience 'contacts'. SQLite cannot change a CHECK constraint, so the table is rebuilt
-- with the same columns; nothing references it by foreign key. The AUTOINCREMENT counter
-- is carried over so that broadcast numbers are never reused.

CREATE TABLE broadcasts_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    project         TEXT,                         -- NULL for the "news" audience
    audience        TEXT NOT NULL
                    CHECK (audience IN ('project', 'group', 'mine', 'news', 'contacts')),
    grp             TEXT,                         -- group slug for the 'group' audience
    created_by      TEXT,                         -- coordinator; NULL from the command line
    report_chat     TEXT,                         -- private chat for progress and the report
    text            TEXT NOT NULL,                -- the announcement; blanked when finished
    locale          TEXT NOT NULL,                -- language of the progress messages
    timezone        TEXT NOT NULL,
    state           TEXT NOT NULL
                    CHECK (state IN ('scheduled', 'sending', 'done', 'cancelled')),
    send_at         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    finished_at     TEXT,
    recipients      INTEGER NOT NULL DEFAULT 0,
    progress_id     INTEGER,                      -- outbox row of the progress message
    progress_edit   INTEGER,                      -- outbox row of the latest progress edit
    progress_at     TEXT                          -- when that edit was made
);
INSERT INTO broadcasts_new (id, project, audience, grp, created_by, report_chat, text, locale,
    timezone, state, send_at, created_at, finished_at, recipients, progress_id, progress_edit,
    progress_at)
SELECT id, project, audience, grp, created_by, report_chat, text, locale, timezone, state,
    send_at, created_at, finished_at, recipients, progress_id, progress_edit, progress_at
FROM broadcasts;
DELETE FROM sqlite_sequence WHERE name = 'broadcasts_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'broadcasts_new', seq FROM sqlite_sequence WHERE name = 'broadcasts';
DROP TABLE broadcasts;
ALTER TABLE broadcasts_new RENAME TO broadcasts;
CREATE INDEX broadcasts_state ON broadcasts (state);
