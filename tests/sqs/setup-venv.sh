#!/usr/bin/env bash
# Usage: setup-venv.sh DIR
#
# Makes DIR a Python 3 virtual environment with moto's server mode (a local SQS-compatible
# server: DIR/bin/moto_server) installed from PyPI with hash checking (requirements.txt
# beside this script), by the repository's one venv script, clients/python/setup-venv.sh.
# Idempotent.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$here/../../clients/python/setup-venv.sh" "$@" "$here/requirements.txt"
