-- The Notion page of the asset's notes: one page per job, created once and updated in place when the
-- notes are written again. notion_state says whether the last delivery reached the page, and
-- notion_error why it did not; the page id and address stay when a later update fails.

ALTER TABLE assets
    ADD COLUMN notion_page_id uuid,
    ADD COLUMN notion_url text CHECK (char_length(notion_url) BETWEEN 1 AND 2000),
    ADD COLUMN notion_state text CHECK (notion_state IN ('delivered', 'failed')),
    ADD COLUMN notion_error text CHECK (char_length(notion_error) BETWEEN 1 AND 1000),
    ADD CONSTRAINT assets_notion_delivered_has_page
        CHECK (notion_state IS DISTINCT FROM 'delivered' OR (notion_page_id IS NOT NULL AND notion_error IS NULL)),
    ADD CONSTRAINT assets_notion_failed_has_error
        CHECK (notion_state IS DISTINCT FROM 'failed' OR notion_error IS NOT NULL);
