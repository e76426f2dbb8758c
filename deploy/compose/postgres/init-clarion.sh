#!/usr/bin/env bash
# Runs once, when the postgres container initialises an empty data directory (/docker-entrypoint-initdb.d):
# creates the clarion database and its two roles (clarion_owner owns the schema and runs migrations; clarion_app is
# what the services use, not the owner, so row-level security applies) with tools/infra/db-setup.sh, the script
# `npm start` runs, mounted at /opt/clarion/db-setup.sh. The role passwords come from the Docker secrets.
# The entrypoint's temporary server listens on the Unix socket only, hence PGHOST.
set -euo pipefail
secret() {
  local file="/run/secrets/$1"
  [ -s "$file" ] || { echo "init-clarion: secret $file is missing or empty" >&2; exit 1; }
  tr -d '\r\n' < "$file"
}
CLARION_OWNER_PASSWORD="$(secret clarion_owner_password)" \
CLARION_APP_PASSWORD="$(secret clarion_app_password)" \
PGHOST=/var/run/postgresql \
PGUSER="${POSTGRES_USER:-postgres}" \
  bash /opt/clarion/db-setup.sh clarion
