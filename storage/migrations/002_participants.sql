-- Participants: invites, meetings (series and their occurrences), the reminder work queue,
-- and the answers people give (coming / can't come, attendance, ratings).
-- Times are UTC ISO-8601 strings as in 001; a series' first start is also kept as local
-- wall-clock time so that a weekly 13:00 meeting stays at 13:00 across DST changes.

CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    project     TEXT NOT NULL,                    -- project slug from content/projects
    grp         TEXT,                             -- group slug, if the invite is for a group
    code        TEXT NOT NULL UNIQUE,             -- typed: "liity K7QM-P3XA" (stored without "-")
    token       TEXT NOT NULL UNIQUE,             -- Telegram deep link: t.me/<bot>?start=<token>
    max_uses    INTEGER CHECK (max_uses IS NULL OR max_uses > 0),  -- 1 = single use
    uses        INTEGER NOT NULL DEFAULT 0,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX invites_project ON invites (project, expires_at);

CREATE TABLE invite_failures (                    -- wrong codes, for rate limiting (kept 1 day)
    user_id  TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    at       TEXT NOT NULL
);
CREATE INDEX invite_failures_user ON invite_failures (user_id, at);

CREATE TABLE project_settings (
    project           TEXT PRIMARY KEY,
    reminder_offsets  TEXT                        -- seconds before, "86400,7200"; '' = none;
                                                  -- NULL = the default (24 h and 2 h)
);

CREATE TABLE participant_settings (
    user_id           TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    project           TEXT NOT NULL,
    reminder_offsets  TEXT,                       -- as above; NULL = the project's setting
    silence_noted_at  TEXT,                       -- "no answers" note sent; cleared by an answer
    PRIMARY KEY (user_id, project)
);

CREATE TABLE meetings (                           -- a one-off meeting or a series
    id                  INTEGER PRIMARY KEY,
    uid                 TEXT NOT NULL UNIQUE,     -- calendar UID (.ics)
    project             TEXT NOT NULL,
    grp                 TEXT,                     -- group meeting; NULL with user_id NULL = all
    user_id             TEXT REFERENCES users(user_id) ON DELETE CASCADE,  -- personal talk
    title               TEXT NOT NULL,
    dtstart_local       TEXT NOT NULL,            -- first start, local wall clock, no offset
    rrule               TEXT,                     -- RFC 5545 RRULE value; NULL = one-off
    duration_min        INTEGER NOT NULL CHECK (duration_min BETWEEN 1 AND 1440),
    place               TEXT NOT NULL DEFAULT '',
    link                TEXT NOT NULL DEFAULT '',
    note                TEXT NOT NULL DEFAULT '',
    first_start         TEXT NOT NULL,            -- UTC
    last_start          TEXT,                     -- UTC start of the last one; NULL = open-ended
    materialized_until  TEXT NOT NULL,            -- occurrences exist for starts before this
    cancelled_at        TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX meetings_project ON meetings (project, grp);
CREATE INDEX meetings_person ON meetings (user_id);
CREATE INDEX meetings_to_extend ON meetings (materialized_until) WHERE cancelled_at IS NULL;

CREATE TABLE occurrences (                        -- one meeting of a series, within the horizon
    id             INTEGER PRIMARY KEY,
    meeting_id     INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    recurrence_id  TEXT NOT NULL,                 -- original start (UTC), RECURRENCE-ID
    start_utc      TEXT NOT NULL,                 -- actual start (differs when moved)
    end_utc        TEXT NOT NULL,
    cancelled      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (meeting_id, recurrence_id)
);
CREATE INDEX occurrences_start ON occurrences (start_utc);

CREATE TABLE reminders (                          -- due work: one row per message to send
    id             INTEGER PRIMARY KEY,
    occurrence_id  INTEGER NOT NULL REFERENCES occurrences(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('reminder', 'follow_up', 'check_in')),
    offset_s       INTEGER NOT NULL DEFAULT 0,    -- reminder: seconds before the start
    covers         TEXT NOT NULL DEFAULT '',      -- offsets merged into this one, "86400,7200"
    start_utc      TEXT NOT NULL,                 -- the start it was planned for
    due_at         TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'sent', 'missed', 'skipped', 'cancelled')),
    done_at        TEXT,
    UNIQUE (occurrence_id, user_id, kind, offset_s, start_utc)
);
CREATE INDEX reminders_due ON reminders (due_at) WHERE state = 'pending';
CREATE INDEX reminders_person ON reminders (user_id, kind, state);

CREATE TABLE rsvps (
    occurrence_id  INTEGER NOT NULL REFERENCES occurrences(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    answer         TEXT NOT NULL CHECK (answer IN ('yes', 'no', 'other')),
    answered_at    TEXT NOT NULL,
    PRIMARY KEY (occurrence_id, user_id)
);
CREATE INDEX rsvps_person ON rsvps (user_id, answered_at);

CREATE TABLE attendance (
    occurrence_id  INTEGER NOT NULL REFERENCES occurrences(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    status         TEXT NOT NULL CHECK (status IN ('attended', 'missed')),
    marked_at      TEXT NOT NULL,
    PRIMARY KEY (occurrence_id, user_id)
);

CREATE TABLE ratings (
    occurrence_id  INTEGER NOT NULL REFERENCES occurrences(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    score          INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment        TEXT,
    rated_at       TEXT NOT NULL,
    PRIMARY KEY (occurrence_id, user_id)
);
CREATE INDEX ratings_person ON ratings (user_id, rated_at);
