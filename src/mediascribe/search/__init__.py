"""Search across every transcript: segments in PostgreSQL full-text search, with time-coded hits.

The finalize step stores each transcript's segments (``JobRepository.store_segments``); this package
queries them (``queries``), maps a job's language to its text-search configuration (``languages``),
and backfills jobs transcribed before segments were stored (``reindex``).
"""
