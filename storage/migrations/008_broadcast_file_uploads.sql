-- Once an announcement's file has been uploaded to a platform, the platform's own id for it
-- (Telegram's file_id), so that the following recipients' sends pass the id instead of the
-- bytes. One id per file and transport. A Telegram file_id is valid only with the bot token
-- that uploaded it: after a token change Telegram refuses it, the file is uploaded once
-- more and the new id replaces it. The id belongs to the broadcast like the bytes do and is
-- dropped with them when the broadcast ends (storage.broadcasts.close).

CREATE TABLE broadcast_file_uploads (
    file_id     INTEGER NOT NULL REFERENCES broadcast_files (id) ON DELETE CASCADE,
    transport   TEXT NOT NULL,                    -- 'telegram'
    remote_id   TEXT NOT NULL,                    -- the platform's id for the uploaded file
    PRIMARY KEY (file_id, transport)
);
