-- Applicants (issue #5): contact requests made from the "Can I join?" flow and the FAQ's
-- "ask a person", and anonymous counts of FAQ feedback. Times are UTC ISO-8601 as in 001.
--
-- Nothing else from the applicant flows is stored: eligibility answers live only in the
-- conversation state while the flow runs (and abandoned ones are purged after a day).

CREATE TABLE contact_requests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    project     TEXT,                             -- project slug; NULL: a general question
    kind        TEXT NOT NULL CHECK (kind IN ('join', 'question')),
    contact     TEXT NOT NULL,                    -- exactly what the person typed for contact
    question    TEXT,                             -- the typed question ('question' only)
    consent_at  TEXT NOT NULL,                    -- when the person pressed "send"
    created_at  TEXT NOT NULL
);
CREATE INDEX contact_requests_project ON contact_requests (project, created_at);
CREATE INDEX contact_requests_created ON contact_requests (created_at);

CREATE TABLE faq_feedback (                       -- "did this help?", counted, nobody named
    faq_id   TEXT NOT NULL,
    helpful  INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    count    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (faq_id, helpful)
);
