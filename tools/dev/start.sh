#!/usr/bin/env bash
# `npm start`: everything from a fresh clone to five running services.
#   0. .env, when there is one (see .env.example), exported to everything below
#   1. PostgreSQL, NATS (JetStream) and Redis found, or installed and started (tools/infra/ensure-services.sh)
#   2. dependencies installed when node_modules is missing or older than package-lock.json
#   3. build (SWC into dist/), 4. migrations as the schema owner
#   5. tools/dev/run-services.mjs: the five services with prefixed logs, until every /readyz is 200; Ctrl-C stops all
# Plain bash: it runs before node_modules exists.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# Local settings: .env (copied from .env.example, where every line starts out commented) goes to every step below.
# shellcheck source=tools/dev/dotenv.sh
. tools/dev/dotenv.sh
if [ -f .env ]; then load_dotenv .env; fi
CLARION_START_EPOCH_MS="$(date +%s%3N)"
export CLARION_START_EPOCH_MS

step() { printf '\n==> %s\n' "$*"; }
since() { local now; now="$(date +%s%3N)"; awk -v ms="$((now - CLARION_START_EPOCH_MS))" 'BEGIN { printf "%.1f s", ms / 1000 }'; }

step "infrastructure (PostgreSQL, NATS with JetStream, Redis; database clarion)"
bash tools/infra/ensure-services.sh

bash tools/dev/install-if-needed.sh

step "build"
npm run --silent build

step "migrate"
npm run --silent migrate

# The demo feed (tools/simulator) needs a tenant to land in: a tenant only, no user and no credentials.
# ingest maps unknown exporters to it because run-services.mjs sets INGEST_DEFAULT_TENANT=demo for npm start.
psql -q -h "${PGHOST:-127.0.0.1}" -U clarion_owner -d clarion -v ON_ERROR_STOP=1 \
  -c "INSERT INTO tenants (slug, name) VALUES ('demo', 'Demo (npm start)') ON CONFLICT (slug) DO NOTHING" >/dev/null

step "services (ready after $(since) of setup)"
exec node tools/dev/run-services.mjs
