"""Tooling run from the repository root (``python -m tools.<module>``) by the scripts and the tests."""
