-- Codes and tokens only as keyed hashes (issue #11): HMAC-SHA-256 under the database's own
-- secret (kv 'secret:hmac', storage/keyed.py), looked up by the hash; and the limiter of
-- wrong codes from everyone together, which names nobody.
--
-- invites: codes and tokens were in clear. The old table is renamed; the second half of
-- this migration (storage.invites.hash_unhashed, a data step listed in
-- storage/migrations/__init__.py and run in the same transaction) moves every invite into
-- the new table with hashed secrets and drops the old one, so invites handed out before
-- keep working.
DROP INDEX invites_project;
ALTER TABLE invites RENAME TO invites_unhashed;
CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    project     TEXT NOT NULL,                    -- project slug from content/projects
    grp         TEXT,                             -- group slug, if the invite is for a group
    code_hash   TEXT NOT NULL UNIQUE,             -- keyed hash of the typed code (normalised:
                                                  -- upper case, no dashes); shown once
    token_hash  TEXT NOT NULL UNIQUE,             -- keyed hash of the deep-link token
    max_uses    INTEGER CHECK (max_uses IS NULL OR max_uses > 0),  -- 1 = single use
    uses        INTEGER NOT NULL DEFAULT 0,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT,
    created_at  TEXT NOT NULL,
    used_up_at  TEXT                              -- when the last allowed use was counted
);
CREATE INDEX invites_project ON invites (project, expires_at);

-- coordinator_invites: the hash was an unsalted SHA-256 of a 40-bit code, which a copy of
-- the database turns back into the code in minutes. Such hashes cannot be re-keyed (the
-- code is not known), so they are removed: unused old codes go (an administrator makes a
-- new one; they were valid for 7 days at most), used ones stay without a hash as the
-- record of who became a coordinator with them.
ALTER TABLE coordinator_invites RENAME TO coordinator_invites_unkeyed;
CREATE TABLE coordinator_invites (
    id          INTEGER PRIMARY KEY,
    code_hash   TEXT UNIQUE,                      -- keyed hash of the code; the code is shown
                                                  -- once. NULL: made before the keyed hashes
    project     TEXT NOT NULL,                    -- project slug
    created_by  TEXT,                             -- the administrator who made it
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_by     TEXT,                             -- who became coordinator with it
    used_at     TEXT
);
INSERT INTO coordinator_invites (project, created_by, created_at, expires_at, used_by, used_at)
    SELECT project, created_by, created_at, expires_at, used_by, used_at
    FROM coordinator_invites_unkeyed WHERE used_by IS NOT NULL ORDER BY created_at;
DROP TABLE coordinator_invites_unkeyed;

-- Wrong codes from everyone together, per minute: a burst from many accounts pauses every
-- code check for a while (handlers/codes.py). Counts only; kept as long as the window.
CREATE TABLE code_failures_recent (
    minute  TEXT PRIMARY KEY,                     -- UTC ISO-8601, seconds cut off
    wrong   INTEGER NOT NULL CHECK (wrong > 0)
);
