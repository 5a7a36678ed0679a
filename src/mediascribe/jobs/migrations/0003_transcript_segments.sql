-- Full-text search over transcripts: each job's language and its segments (index, start, end,
-- speaker, text), written by the finalize step and backfilled by `mediascribe reindex`.

-- The ISO 639-1 code the job was transcribed in (TRANSCRIPTION_LANGUAGE); NULL when not known.
ALTER TABLE assets_processing_jobs
    ADD COLUMN language text CHECK (language ~ '^[a-z]{2}$');

-- Two stored tsvectors per segment, each with a GIN index, so every query can use an index:
--   words: the 'simple' configuration (lower-cased words, no stemming, no stop words), the same for
--          every language, so a query in any language, or none, uses one index;
--   stems: the segment's own language configuration (`config`, 'simple' when the language has no
--          PostgreSQL configuration), so a query in that language also finds inflected forms.
-- to_tsvector(regconfig, text) is immutable, so both can be generated columns. The indexes are on the
-- stored columns, not on expressions, so `column @@ tsquery` can use them whatever the query's
-- configuration (which decides only which lexemes match), and the text is parsed once, on write.
CREATE TABLE transcript_segments (
    job_id        uuid NOT NULL REFERENCES assets_processing_jobs (id) ON DELETE CASCADE,
    idx           integer NOT NULL CHECK (idx >= 0),
    start_seconds double precision NOT NULL CHECK (start_seconds >= 0),
    end_seconds   double precision NOT NULL CHECK (end_seconds >= start_seconds),
    speaker       text,
    text          text NOT NULL,
    config        regconfig NOT NULL DEFAULT 'simple',
    words         tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED,
    stems         tsvector GENERATED ALWAYS AS (to_tsvector(config, text)) STORED,
    PRIMARY KEY (job_id, idx)
);

CREATE INDEX transcript_segments_words ON transcript_segments USING gin (words);
CREATE INDEX transcript_segments_stems ON transcript_segments USING gin (stems);
