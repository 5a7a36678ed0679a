"""mediascribe: serverless speech-to-text for media files.

The package holds the domain code every Lambda handler shares (media processing, transcription,
jobs and storage) plus the local runner that executes the same workflow on embedded defaults.
"""

__version__ = "0.1.0"
