-- The media asset and its processing job. One asset per source object (bucket, key, version id or
-- ETag), one job per asset: a duplicate S3 event or a repeated POST finds the existing row.

CREATE TABLE assets (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    original_filename text NOT NULL,
    source_bucket     text NOT NULL,
    source_key        text NOT NULL,
    -- The S3 version id when the bucket is versioned, else the ETag, else '' (NULLs would defeat UNIQUE).
    source_version    text NOT NULL DEFAULT '',
    source_etag       text,
    media_type        text CHECK (media_type IN ('audio', 'video', 'text', 'image', 'unknown')),
    duration_seconds  double precision CHECK (duration_seconds >= 0),
    size_bytes        bigint CHECK (size_bytes >= 0),
    content           text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT assets_source_object_key UNIQUE (source_bucket, source_key, source_version)
);

CREATE TABLE assets_processing_jobs (
    id            uuid PRIMARY KEY,
    asset_id      uuid NOT NULL UNIQUE REFERENCES assets (id) ON DELETE CASCADE,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'skipped')),
    progress      smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    stage         text NOT NULL DEFAULT 'queued',
    error         text,
    cause         text,
    reason        text,
    result        jsonb,
    execution_arn text,
    attempt       integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    chunks_total  integer CHECK (chunks_total >= 0),
    -- The indexes of transcribed chunks, so a redelivered chunk is counted once.
    chunks_done   integer[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT jobs_completed_is_full CHECK (status <> 'completed' OR (progress = 100 AND result IS NOT NULL)),
    CONSTRAINT jobs_failed_has_error CHECK (status <> 'failed' OR error IS NOT NULL)
);

-- The stale-job sweep looks only at unfinished jobs, oldest first.
CREATE INDEX assets_processing_jobs_unfinished
    ON assets_processing_jobs (updated_at)
    WHERE status IN ('pending', 'processing');

-- updated_at is maintained by the database so no statement can forget it.
CREATE FUNCTION mediascribe_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END;
$$;

CREATE TRIGGER assets_touch_updated_at
    BEFORE UPDATE ON assets
    FOR EACH ROW EXECUTE FUNCTION mediascribe_touch_updated_at();

CREATE TRIGGER assets_processing_jobs_touch_updated_at
    BEFORE UPDATE ON assets_processing_jobs
    FOR EACH ROW EXECUTE FUNCTION mediascribe_touch_updated_at();
