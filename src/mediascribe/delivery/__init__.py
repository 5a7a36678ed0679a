"""Delivering a job's notes to where people read them: a Notion page per job.

The page follows the notes: it is written after them, and nothing here can change the transcript or
the notes. Its id, state, address and last error are kept with the job's asset.
"""
