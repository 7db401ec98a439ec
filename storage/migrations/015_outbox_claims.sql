-- "About to send" (issue 16): a row the bot must never send twice (one with a dedupe key:
-- reminders, announcements, notices, a broadcast's progress and report) is claimed in a
-- commit of its own just before the platform is asked to send it. ``claimed_attempt`` is
-- the row's ``attempts`` at that moment; every recorded outcome adds one to ``attempts``,
-- so a pending row whose claim equals its attempts was cut off between the claim and the
-- outcome: it may have reached the person. After a restart such a row is not sent again
-- (at most once; see README "What survives a crash").
ALTER TABLE outbox ADD COLUMN claimed_attempt INTEGER;
