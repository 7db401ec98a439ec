-- Issue 15: a meeting's rating comment reaches its project's coordinators. A comment of a
-- meeting with fewer than 3 ratings is shown only when its writer chose to sign it (then
-- with their name); signed is that choice (0: anonymous, the default).
ALTER TABLE ratings ADD COLUMN signed INTEGER NOT NULL DEFAULT 0 CHECK (signed IN (0, 1));
