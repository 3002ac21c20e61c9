#!/usr/bin/env bash
# Usage: setup-venv.sh DIR [REQUIREMENTS]
#
# Makes DIR a Python 3 virtual environment with the packages of REQUIREMENTS (default:
# requirements.txt beside this script) installed from PyPI with hash checking, binary
# distributions only (no build backend is fetched unchecked). Idempotent: does nothing
# when DIR was built from the same requirements. Needs python3 (3.8 or later, with venv)
# and access to PyPI; set PYTHON to use another interpreter. tests/interop/setup-venv.sh
# uses it for the real beatit.
set -euo pipefail

fail() {
    echo "setup-venv.sh: error: $*" >&2
    exit 1
}

[ $# -ge 1 ] && [ $# -le 2 ] && [ -n "$1" ] || fail "usage: setup-venv.sh DIR [REQUIREMENTS]"
dir=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
requirements=$(cd "$(dirname "${2:-$here/requirements.txt}")" && pwd)/$(basename "${2:-requirements.txt}")
[ -f "$requirements" ] || fail "no such file: $requirements"
python=${PYTHON:-python3}
want=$(sha256sum "$requirements" | cut -d' ' -f1)

ready() {
    [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.requirements-sha256" 2>/dev/null)" = "$want" ]
}

ready && exit 0
# Test binaries of concurrent cargo runs may share DIR: one builds it at a time.
if [ -z "${SETUP_VENV_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
    mkdir -p "$(dirname "$dir")"
    export SETUP_VENV_LOCKED=1
    exec flock "$dir.lock" bash "$here/setup-venv.sh" "$dir" "$requirements"
fi
ready && exit 0

command -v "$python" >/dev/null 2>&1 || fail "'$python' not found: install Python 3 or set PYTHON"
"$python" -m venv --clear "$dir" ||
    fail "'$python -m venv $dir' failed (on Debian/Ubuntu: apt-get install python3-venv)"
"$dir/bin/python" -m pip install --disable-pip-version-check --no-input --quiet \
    --require-hashes --only-binary :all: -r "$requirements" ||
    fail "pip could not install $requirements into $dir (no access to PyPI? a hash mismatch?)"
echo "$want" >"$dir/.requirements-sha256"
echo "setup-venv.sh: $dir ready"
