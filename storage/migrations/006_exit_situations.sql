-- The situation on leaving a project (ESF+ common result indicators), asked once, optional,
-- after a coordinator has marked a participant as left. Only the chosen category is stored
-- (never free text), with the project and the date; "I'd rather not say" stores nothing.
-- The report counts these without names, figures under 5 shown as "< 5".

CREATE TABLE exit_situations (
    user_id      TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    project      TEXT NOT NULL,                   -- project slug
    situation    TEXT NOT NULL CHECK (situation IN
                 ('job_searching', 'education', 'qualification', 'employment', 'other')),
    consent      INTEGER NOT NULL DEFAULT 1 CHECK (consent = 1),  -- the person chose to tell
    answered_on  TEXT NOT NULL,                   -- local date, YYYY-MM-DD
    PRIMARY KEY (user_id, project)
);
CREATE INDEX exit_situations_project ON exit_situations (project);
