-- A fourth kind of outbox row (issue 12, rule 4): 'join', the core's decision to accept an
-- invite (Matrix), carried out by the transport like 'leave' (which also declines one).
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt (foreign keys are
-- off while a migration runs, see storage.db) and its AUTOINCREMENT position is kept: row ids
-- make Matrix transaction ids, and a reused id would be taken by the homeserver as a resend.
CREATE TABLE outbox_new (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    transport            TEXT NOT NULL,           -- "telegram", "matrix", "console"
    chat_id              TEXT NOT NULL,
    user_id              TEXT,                    -- recipient person, when known
    html                 TEXT NOT NULL,           -- rendered text, Telegram-style HTML subset
    buttons              TEXT,                    -- JSON [[{"label":..., "token":...}]]
    document_name        TEXT,
    document_mime        TEXT,
    document             BLOB,
    edit_of              INTEGER REFERENCES outbox(id) ON DELETE SET NULL,
    dedupe_key           TEXT UNIQUE,             -- producers that must never send twice set this
    state                TEXT NOT NULL DEFAULT 'pending'
                         CHECK (state IN ('pending', 'sent', 'failed', 'unreachable', 'cancelled')),
    attempts             INTEGER NOT NULL DEFAULT 0,
    not_before           TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    sent_at              TEXT,
    platform_message_id  TEXT,
    last_error           TEXT,                    -- error type only, never message text
    priority             INTEGER NOT NULL DEFAULT 0,
    file_id              INTEGER,
    ended_at             TEXT,
    about                TEXT,
    farewell             INTEGER NOT NULL DEFAULT 0,
    kind                 TEXT NOT NULL DEFAULT 'message'
                         CHECK (kind IN ('message', 'unencrypted', 'leave', 'join')),
    claimed_attempt      INTEGER                  -- see 015
);
INSERT INTO outbox_new (id, transport, chat_id, user_id, html, buttons, document_name,
    document_mime, document, edit_of, dedupe_key, state, attempts, not_before, created_at,
    sent_at, platform_message_id, last_error, priority, file_id, ended_at, about, farewell,
    kind, claimed_attempt)
SELECT id, transport, chat_id, user_id, html, buttons, document_name, document_mime, document,
    edit_of, dedupe_key, state, attempts, not_before, created_at, sent_at, platform_message_id,
    last_error, priority, file_id, ended_at, about, farewell, kind, claimed_attempt
FROM outbox;
DELETE FROM sqlite_sequence WHERE name = 'outbox_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox_new', seq FROM sqlite_sequence
    WHERE name = 'outbox';
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (transport, state, not_before, id);
CREATE INDEX outbox_user ON outbox (user_id);
CREATE INDEX outbox_due_priority ON outbox (transport, state, priority, id);
CREATE INDEX outbox_state_key ON outbox (state, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX outbox_ended ON outbox (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX outbox_about ON outbox (about) WHERE about IS NOT NULL;
