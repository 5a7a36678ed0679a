"""Where the tools find the repository and keep what they build: defined once, here."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Tool venvs and build caches: outside git (.gitignore), kept across sessions.
TOOLS = REPO / ".venv-tools"
TEMPLATE = REPO / "template.yaml"
# The template tests' helpers, which the template tooling shares (template_render).
TEMPLATE_TESTS = REPO / "tests" / "template"
