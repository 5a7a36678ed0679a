#!/usr/bin/env bash
# Makes sure Debian's chromium exists: the transcript page's tests (tests/page) run in it, driven by
# Playwright, which never downloads a browser of its own here. Installs the package when it is
# missing and we are allowed to.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium not found: installing Debian's chromium package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  exit 0
fi
echo "chromium is missing. Install it (Debian: apt-get install chromium)." >&2
exit 1
