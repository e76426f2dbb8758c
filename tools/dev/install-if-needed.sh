#!/usr/bin/env bash
# Installs the locked dependencies with `npm ci` when node_modules is missing or package-lock.json is newer than the
# last install (npm writes node_modules/.package-lock.json at the end of every install). Used by start.sh and test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "Node.js 20.19 or later with npm is needed (see https://nodejs.org or your package manager)." >&2
  exit 1
fi
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "Node.js $(node --version) is too old: Clarion needs 20.19 or later (package.json engines)." >&2
  exit 1
fi

if [ ! -f node_modules/.package-lock.json ]; then
  reason="node_modules is missing"
elif [ package-lock.json -nt node_modules/.package-lock.json ]; then
  reason="package-lock.json changed since the last install"
else
  exit 0
fi
printf '\n==> npm ci (%s)\n' "$reason"
npm ci --no-audit --no-fund
