"""Expanding template.yaml with SAM's translator and judging the expansion."""
