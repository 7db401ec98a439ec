-- Personal messages only in private chats (issue 11, item 2).
--
-- users.home_chat_id was the chat a person first wrote in, even a group. From now on it is
-- the person's private chat with the bot, NULL while none is known; messages to them wait
-- in held_notices until they open one. SQLite cannot drop a NOT NULL, so users is rebuilt
-- (the runner turns foreign keys off for migrations and checks them before committing; the
-- tables that reference users keep pointing at the rebuilt one, which takes the old name).
--
-- Existing home chats are corrected: on Telegram a private chat's id is the person's own id
-- (a group's is negative), so any other chat is dropped; on Matrix a room id does not tell
-- a direct chat from a group, so it is cleared and set again by the next event in a direct
-- room (the transport also finds direct rooms when it starts).

CREATE TABLE users_new (
    user_id          TEXT PRIMARY KEY,            -- "telegram:123", "matrix:@a:b.org", "console:local"
    home_chat_id     TEXT,                        -- the person's private chat; NULL: none known
    locale           TEXT NOT NULL DEFAULT 'fi',
    locale_chosen    INTEGER NOT NULL DEFAULT 0,  -- 1 once the person picked a language
    display_name     TEXT,                        -- kept only for participants (see /privacy)
    unreachable      INTEGER NOT NULL DEFAULT 0,  -- blocked the bot / left the room
    news_opt_in      INTEGER NOT NULL DEFAULT 1,  -- 0 after /stop
    created_at       TEXT NOT NULL,
    last_seen_at     TEXT NOT NULL,
    private_hint_at  TEXT                         -- last "open a private chat" hint in a group
);
INSERT INTO users_new (user_id, home_chat_id, locale, locale_chosen, display_name, unreachable,
    news_opt_in, created_at, last_seen_at)
SELECT user_id,
    CASE
        WHEN user_id LIKE 'telegram:%' THEN CASE WHEN home_chat_id = user_id THEN home_chat_id END
        WHEN user_id LIKE 'matrix:%' THEN NULL
        ELSE home_chat_id
    END,
    locale, locale_chosen, display_name, unreachable, news_opt_in, created_at, last_seen_at
FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_home_chat ON users (home_chat_id);

-- Messages to a person who has no private chat yet, in the order they were made. They are
-- moved to the outbox (and their buttons issued for that chat) in the transaction that
-- first sees the person in a private chat; one past ``expires_at`` (a reminder of a meeting
-- that has begun) is dropped instead. ``dedupe_key`` is unique here and in the outbox alike.
CREATE TABLE held_notices (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    html           TEXT NOT NULL,                 -- rendered in the person's language then
    buttons        TEXT,                          -- JSON [[label, payload]]: no tokens yet
    document_name  TEXT,
    document_mime  TEXT,
    document       BLOB,
    dedupe_key     TEXT UNIQUE,
    priority       INTEGER NOT NULL DEFAULT 0,
    not_before     TEXT NOT NULL,
    expires_at     TEXT,
    created_at     TEXT NOT NULL,
    about          TEXT                           -- as outbox.about: deleted with that person
);
CREATE INDEX held_notices_user ON held_notices (user_id, id);
