#!/usr/bin/env bash
# Usage: setup.sh
#
# Installs the client's npm packages (json-schema-to-typescript, quicktype-core, ajv,
# ajv-formats, typescript, @types/node)
# exactly as package-lock.json pins them, with `npm ci`. Idempotent: does nothing when
# node_modules was installed from the same package-lock.json. Needs Node.js 18 or later
# with npm, and access to the npm registry.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
want=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=.npm-ci-stamp
[ -d node_modules ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && exit 0

# Test binaries of concurrent cargo runs may get here together: one installs at a time.
if [ -z "${SETUP_NPM_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
    export SETUP_NPM_LOCKED=1
    exec flock "$here/.npm-ci.lock" bash "$here/setup.sh"
fi
[ -d node_modules ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && exit 0

command -v npm >/dev/null 2>&1 || { echo "setup.sh: error: npm not found: install Node.js 18 or later" >&2; exit 1; }
npm ci --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
echo "setup.sh: clients/typescript ready"
