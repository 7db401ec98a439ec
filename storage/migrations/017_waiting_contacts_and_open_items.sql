-- Issue 15: nothing people tell the bot is left without someone to answer it.
--
-- A contact request made while its project has no coordinator in the bot is kept, with the
-- person's consent, until the first coordinator joins (at most
-- storage.contact_requests.WAITING_DAYS days): delivered_at is NULL while it waits.
ALTER TABLE contact_requests ADD COLUMN delivered_at TEXT;
UPDATE contact_requests SET delivered_at = created_at;
CREATE INDEX contact_requests_waiting ON contact_requests (project, delivered_at);

-- What a coordinator has been asked to answer: a participant who wants to talk, a
-- can't-come note, a contact request. Open while handled_at is NULL; listed by /avoimet and
-- reminded to the coordinators once a week (reminded_at) while open.
CREATE TABLE open_items (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    project       TEXT,                            -- NULL: a general question (administrators)
    kind          TEXT NOT NULL CHECK (kind IN ('talk', 'cant_come', 'contact')),
    user_id       TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    occurrence_id INTEGER,                         -- the meeting of 'talk' and 'cant_come'
    request_id    INTEGER REFERENCES contact_requests(id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    handled_at    TEXT,
    handled_by    TEXT,                            -- the coordinator who answered or closed it
    reminded_at   TEXT                             -- the last weekly reminder about it
);
CREATE INDEX open_items_open ON open_items (project, handled_at);
