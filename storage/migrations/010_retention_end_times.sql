-- Retention (issue 11, item 4): rows are deleted a fixed time after they *ended*, so the
-- end is recorded.
--
-- outbox.ended_at: when the row reached its end state (sent, failed, unreachable,
-- cancelled); its text, buttons and file bytes are dropped at that moment and the row is
-- deleted 30 days later (storage.outbox). Rows that ended before this migration get their
-- sent time, or else the time of the migration (their real end is unknown, but not later
-- than now), and lose their text and file now.
ALTER TABLE outbox ADD COLUMN ended_at TEXT;
UPDATE outbox
SET ended_at = COALESCE(sent_at, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000+00:00'),
    html = '', buttons = NULL, document = NULL
WHERE state IN ('sent', 'failed', 'unreachable', 'cancelled');
CREATE INDEX outbox_ended ON outbox (ended_at) WHERE ended_at IS NOT NULL;

-- invites.used_up_at: when the last allowed use was counted. An invite ends at the
-- earliest of expires_at, revoked_at and used_up_at and is deleted 30 days later
-- (storage.invites). Used-up invites from before this migration have no such time and are
-- judged by their expiry (at most 30 days later).
ALTER TABLE invites ADD COLUMN used_up_at TEXT;
