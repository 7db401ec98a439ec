-- Issue 13: a budget thrown away with /peru is kept for 7 days, so that it can be continued
-- from the menu ("Laske hankkeen budjetti" → "Jatka budjettia"). One draft per person: the
-- step it stood at and the flow's data (the figures the person typed), as JSON. Pruned by
-- the maintenance pass; deleted by /unohda and exported by /omattiedot.
CREATE TABLE budget_drafts (
    user_id   TEXT PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
    step      TEXT NOT NULL,
    data      TEXT NOT NULL,
    saved_at  TEXT NOT NULL
);
CREATE INDEX budget_drafts_saved ON budget_drafts (saved_at);
