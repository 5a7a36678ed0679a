-- Notes written from the transcript: the asset's generated title, and the notes document
-- ({"status": "completed", "title", "summary", "chapters", "action_items", ...}, {"status": "failed",
-- "reason"}, or {"status": "pending"} while a requested rewrite runs). The source object keeps its key; only this row carries the title.

ALTER TABLE assets
    ADD COLUMN title text CHECK (char_length(title) BETWEEN 1 AND 80),
    ADD COLUMN notes jsonb CHECK (
        notes IS NULL OR (
            jsonb_typeof(notes) = 'object'
            AND notes ->> 'status' IN ('pending', 'completed', 'failed')
            -- Notes are capped well below this; the bound keeps a runaway document out of the row.
            AND pg_column_size(notes) < 65536
        )
    );
