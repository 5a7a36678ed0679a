#!/usr/bin/env bash
# Creates the virtualenv DIR with PYTHON. Debian ships venv support separately (python3-venv); when it
# is missing and we are root, install it and try again.
set -euo pipefail
python=$1 dir=$2
if "$python" -m venv "$dir" 2>/dev/null; then
  exit 0
fi
rm -rf "$dir"
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "python venv support is missing: installing Debian's python3-venv" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  exec "$python" -m venv "$dir"
fi
echo "cannot create $dir: install venv support for $python (Debian: apt-get install python3-venv)" >&2
exit 1
