#!/usr/bin/env bash
# Makes sure PostgreSQL server binaries exist (the local run and the tests start a throwaway cluster
# with them). Installs Debian's package when they are missing and we are allowed to.
set -euo pipefail
if [[ -n "${DATABASE_URL:-}" ]]; then
  exit 0
fi
if command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  exit 0
fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "PostgreSQL server not found: installing Debian's postgresql package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  exit 0
fi
echo "PostgreSQL server binaries (initdb, pg_ctl) are missing. Install them (Debian: apt-get install postgresql)" >&2
echo "or point DATABASE_URL at a server you run." >&2
exit 1
