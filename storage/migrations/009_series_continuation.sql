-- A series whose time of day was changed from one meeting on ends there, and a new series
-- continues it at the new time; ``continues`` points from the new series to the old one
-- (so the women's group's periods are still numbered by series, not by time changes).
ALTER TABLE meetings ADD COLUMN continues INTEGER REFERENCES meetings(id) ON DELETE SET NULL;
