#!/usr/bin/env bash
# Usage: setup-venv.sh DIR
#
# Makes DIR a Python 3 virtual environment with the real beatit 2022.3.1 installed from
# PyPI with hash checking (requirements.txt beside this script). Idempotent: does
# nothing when DIR/bin/python already imports beatit 2022.3.1. Needs python3 (3.8 or
# later, with its venv module) and access to PyPI; set PYTHON to use another interpreter.
set -euo pipefail

readonly WANTED=2022.3.1

fail() {
    echo "setup-venv.sh: error: $*" >&2
    exit 1
}

[ $# -eq 1 ] && [ -n "$1" ] || fail "usage: setup-venv.sh DIR"
dir=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
requirements=$here/requirements.txt
python=${PYTHON:-python3}
[ -f "$requirements" ] || fail "missing $requirements"

# True when DIR/bin/python runs and has the wanted beatit.
ready() {
    [ -x "$dir/bin/python" ] &&
        "$dir/bin/python" - "$WANTED" <<'EOF' >/dev/null 2>&1
import sys
import beatit
sys.exit(0 if beatit.__version__ == sys.argv[1] else 1)
EOF
}

if ready; then
    echo "setup-venv.sh: beatit $WANTED already installed in $dir"
    exit 0
fi

# Test binaries in several cargo runs may share DIR: let one of them build it at a time.
if [ -z "${SETUP_VENV_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
    mkdir -p "$(dirname "$dir")" || fail "cannot create the parent directory of $dir"
    export SETUP_VENV_LOCKED=1
    exec flock "$dir.lock" bash "$here/$(basename "${BASH_SOURCE[0]}")" "$dir"
fi
# Another run may have finished while this one waited for the lock.
if ready; then
    echo "setup-venv.sh: beatit $WANTED already installed in $dir"
    exit 0
fi

command -v "$python" >/dev/null 2>&1 ||
    fail "'$python' not found: install Python 3 (with venv and pip) or set PYTHON"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 8))' ||
    fail "'$python' is not Python 3.8 or later"

if [ -e "$dir" ] && [ ! -f "$dir/pyvenv.cfg" ] && [ -n "$(ls -A "$dir")" ]; then
    fail "$dir exists and is not a virtual environment; remove it or choose another DIR"
fi
if [ -e "$dir/pyvenv.cfg" ] && ! "$dir/bin/python" -c '' >/dev/null 2>&1; then
    # A venv whose interpreter moved or vanished: rebuild it in place.
    echo "setup-venv.sh: $dir/bin/python does not run; recreating the environment"
    "$python" -m venv --clear "$dir" ||
        fail "'$python -m venv --clear $dir' failed (on Debian/Ubuntu: apt-get install python3-venv)"
elif [ ! -x "$dir/bin/python" ]; then
    echo "setup-venv.sh: creating a virtual environment in $dir"
    "$python" -m venv "$dir" ||
        fail "'$python -m venv $dir' failed (on Debian/Ubuntu: apt-get install python3-venv)"
fi

echo "setup-venv.sh: installing beatit $WANTED (hash-checked) into $dir"
# The wheel is pure Python: --only-binary skips building the sdist, whose build backend
# would be fetched without hash checking.
"$dir/bin/python" -m pip install --disable-pip-version-check --no-input \
    --require-hashes --only-binary beatit -r "$requirements" ||
    fail "pip could not install beatit $WANTED into $dir (no access to PyPI? a hash mismatch?)"

ready || fail "beatit $WANTED is still not importable from $dir/bin/python after installing"
echo "setup-venv.sh: beatit $WANTED ready in $dir"
