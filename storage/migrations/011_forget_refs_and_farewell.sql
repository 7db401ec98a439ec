-- /unohda leaves no trace (issue 11, item 3).
--
-- A random reference per person, for button payloads and for the outbox rows that are about
-- a person but addressed to someone else (a coordinator's "Anna can't come"): payloads and
-- rows carry the reference, never the person's id, and the reference dies with the person
-- (ON DELETE CASCADE), so a stale button then resolves to nobody and answers as an old one.
CREATE TABLE person_refs (
    user_id  TEXT PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
    ref      TEXT NOT NULL UNIQUE                 -- 18 random hex characters
);

-- The person (their person_refs.ref) an outbox row to someone else is about; /unohda deletes
-- such rows, sent or not, so a waiting notice never names someone who asked to be forgotten.
ALTER TABLE outbox ADD COLUMN about TEXT;
CREATE INDEX outbox_about ON outbox (about) WHERE about IS NOT NULL;

-- 1: the last message to a person who used /unohda. The row is deleted as soon as it ends
-- (sent, failed or unreachable), and then the transport forgets the chat (on Matrix: leaves
-- the direct room and drops its keys). Until then it keeps the chat and user id it needs.
ALTER TABLE outbox ADD COLUMN farewell INTEGER NOT NULL DEFAULT 0;
