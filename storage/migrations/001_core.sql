-- Core tables: people, conversation state, platform update bookkeeping, outbox, buttons, roles.
-- Times are UTC ISO-8601 strings ("2026-11-24T13:00:00+00:00").

CREATE TABLE users (
    user_id        TEXT PRIMARY KEY,              -- "telegram:123", "matrix:@a:b.org", "console:local"
    home_chat_id   TEXT NOT NULL,                 -- private chat where the bot reaches the person
    locale         TEXT NOT NULL DEFAULT 'fi',
    locale_chosen  INTEGER NOT NULL DEFAULT 0,    -- 1 once the person picked a language
    display_name   TEXT,                          -- kept only for participants (see /privacy)
    unreachable    INTEGER NOT NULL DEFAULT 0,    -- blocked the bot / left the room
    news_opt_in    INTEGER NOT NULL DEFAULT 1,    -- 0 after /stop
    created_at     TEXT NOT NULL,
    last_seen_at   TEXT NOT NULL
);

CREATE TABLE conversations (
    user_id     TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    chat_id     TEXT NOT NULL,
    flow        TEXT NOT NULL,
    step        TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}',
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, chat_id)
);

CREATE TABLE processed_updates (
    update_key    TEXT PRIMARY KEY,               -- "telegram:update:123"
    processed_at  TEXT NOT NULL
);

CREATE TABLE kv (
    key    TEXT PRIMARY KEY,                      -- e.g. "telegram:offset"
    value  TEXT NOT NULL
);

CREATE TABLE outbox (
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
    last_error           TEXT                     -- error type only, never message text
);
CREATE INDEX outbox_due ON outbox (transport, state, not_before, id);
CREATE INDEX outbox_user ON outbox (user_id);

CREATE TABLE buttons (
    token       TEXT PRIMARY KEY,                 -- what travels to the platform
    chat_id     TEXT NOT NULL,                    -- valid in this chat only
    payload     TEXT NOT NULL,
    flow        TEXT,                             -- conversation position when offered
    step        TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX buttons_chat ON buttons (chat_id);

CREATE TABLE chat_keyboards (                     -- numbered buttons (console, Matrix)
    chat_id  TEXT PRIMARY KEY,
    tokens   TEXT NOT NULL                        -- JSON list of tokens in display order
);

CREATE TABLE memberships (
    user_id    TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    project    TEXT NOT NULL,                     -- project slug from content/projects
    role       TEXT NOT NULL CHECK (role IN ('participant', 'coordinator')),
    grp        TEXT,                              -- group slug within the project, if any
    joined_at  TEXT NOT NULL,
    left_at    TEXT,
    PRIMARY KEY (user_id, project, role)
);
CREATE INDEX memberships_project ON memberships (project, role);
