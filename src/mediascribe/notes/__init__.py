"""Notes from a transcript: a title, a short summary, chapters with start times and action items.

The transcript is untrusted text. It reaches a model only as delimited data, and what comes back is
validated against a fixed schema and stored; it is never executed nor used to build a key or a path.
"""
