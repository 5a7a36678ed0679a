#!/usr/bin/env bash
# pytest for one tier or the whole suite. "No tests collected" (pytest's exit code 5) fails too: a tier
# or a suite that selects nothing has lost its tests (a marker, a path or a conftest gone wrong), and
# passing it would hide that. `make e2e` without a stack skips before it gets here.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest "$@"
code=$?
if [[ $code -eq 5 ]]; then
  echo "pytest collected no tests for: ${*:-the whole suite}" >&2
fi
exit $code
