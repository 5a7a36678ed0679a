#!/usr/bin/env bash
# The whole suite: static checks first (ruff and mypy --strict on the code; cfn-lint, checkov and sam
# validate on template.yaml), then pytest, so pytest's summary is the last thing printed. A failing
# static check fails the suite even when every test passes; a suite that collects no tests fails
# with pytest's exit code 5 (scripts/run-pytest.sh), and so does .ci/run.
set -uo pipefail
cd "$(dirname "$0")/.."
checks=0
.venv/bin/ruff check --quiet src functions tests bench tools || checks=1
.venv/bin/ruff format --check --quiet src functions tests bench tools || checks=1
# Types of the package and the handlers (settings in pyproject.toml's [tool.mypy]).
.venv/bin/mypy || checks=1
bash scripts/check-template.sh || checks=1
bash scripts/run-pytest.sh "$@"
code=$?
if [[ $checks -ne 0 ]]; then
  echo "static checks failed (see their output above)" >&2
  [[ $code -eq 0 ]] && code=1
fi
exit $code
