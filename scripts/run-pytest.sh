#!/usr/bin/env bash
# pytest for one tier or the whole suite. "No tests collected" (exit code 5) means an empty selection,
# e.g. a tier with nothing in it yet: that is not a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest "$@"
code=$?
if [[ $code -eq 5 ]]; then
  echo "pytest collected no tests"
  code=0
fi
exit $code
