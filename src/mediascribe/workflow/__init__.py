"""The steps of the transcription workflow, one module per state-machine task.

Handlers under ``functions/`` only parse events and call these functions with a ``Runtime``; everything
that decides what happens to a job lives here, so it is tested without Lambda.
"""
