-- Coordination (issue #7): coordinator invites, the audit log of privileged actions,
-- broadcasts, and a delivery priority so that conversations are not queued behind bulk sends.
-- Times are UTC ISO-8601 strings, as in 001.

-- 0: conversation replies, notices, progress messages; 1: bulk (broadcast recipients).
-- The delivery worker takes due rows by (priority, id), so a person talking to the bot
-- during a long broadcast is answered at once.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_due_priority ON outbox (transport, state, priority, id);
-- "Is anything of broadcast 12 still pending?" without scanning its sent rows.
CREATE INDEX outbox_state_key ON outbox (state, dedupe_key) WHERE dedupe_key IS NOT NULL;

CREATE TABLE coordinator_invites (
    code_hash   TEXT PRIMARY KEY,                 -- SHA-256 of the code; the code is shown once
    project     TEXT NOT NULL,                    -- project slug
    created_by  TEXT,                             -- the administrator who made it
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_by     TEXT,                             -- who became coordinator with it
    used_at     TEXT
);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,                       -- user id; "cli" for the command line;
                                                  -- "poistettu-…" once the actor used /forget
    action   TEXT NOT NULL,                       -- e.g. "coordinator.add", "broadcast.send"
    project  TEXT,
    subject  TEXT,                                -- the person the action was about, if any
    detail   TEXT NOT NULL DEFAULT '{}'           -- JSON of ids and counts, never message text
);
CREATE INDEX audit_log_actor ON audit_log (actor);
CREATE INDEX audit_log_subject ON audit_log (subject);

CREATE TABLE broadcasts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    project         TEXT,                         -- NULL for the "news" audience
    audience        TEXT NOT NULL CHECK (audience IN ('project', 'group', 'mine', 'news')),
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
CREATE INDEX broadcasts_state ON broadcasts (state);
