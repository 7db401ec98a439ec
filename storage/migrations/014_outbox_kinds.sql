-- What an outbox row asks of its transport (issue 12: transports translate, the core decides
-- and everything goes through the outbox):
--   'message'      a message (the default; encrypted where the chat is);
--   'unencrypted'  a notice that must be readable without the chat's keys (the answer to a
--                  Matrix message the bot could not decrypt);
--   'leave'        leave the chat (the person left a Matrix room where only the bot remains).
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'message'
    CHECK (kind IN ('message', 'unencrypted', 'leave'));
