#!/usr/bin/env bash
# Makes sure espeak-ng exists: tests and benchmarks synthesise speech with known timing with it.
# Installs Debian's package when it is missing and we are allowed to.
set -euo pipefail
if command -v espeak-ng >/dev/null 2>&1; then
  exit 0
fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "espeak-ng not found: installing Debian's espeak-ng package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends espeak-ng >/dev/null
  exit 0
fi
echo "espeak-ng is missing. Install it (Debian: apt-get install espeak-ng)." >&2
exit 1
