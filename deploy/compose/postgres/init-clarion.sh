#!/usr/bin/env bash
# Runs once, when the postgres container initialises an empty data directory (/docker-entrypoint-initdb.d):
# creates the clarion database and its roles (clarion_owner owns the schema and runs migrations; each service connects
# as its own role, clarion_gateway ... clarion_retention, not the owner, so row-level security applies; clarion_app is
# the role they shared before) with tools/infra/db-setup.sh, the script `npm start` runs, mounted at
# /opt/clarion/db-setup.sh. The role passwords come from the Docker secrets.
# The entrypoint's temporary server listens on the Unix socket only, hence PGHOST.
set -euo pipefail
secret() {
  local file="/run/secrets/$1"
  [ -s "$file" ] || { echo "init-clarion: secret $file is missing or empty" >&2; exit 1; }
  tr -d '\r\n' < "$file"
}
CLARION_OWNER_PASSWORD="$(secret clarion_owner_password)" \
CLARION_APP_PASSWORD="$(secret clarion_app_password)" \
CLARION_GATEWAY_PASSWORD="$(secret clarion_gateway_password)" \
CLARION_AUTH_PASSWORD="$(secret clarion_auth_password)" \
CLARION_INGEST_PASSWORD="$(secret clarion_ingest_password)" \
CLARION_CLUSTERING_PASSWORD="$(secret clarion_clustering_password)" \
CLARION_RETENTION_PASSWORD="$(secret clarion_retention_password)" \
PGHOST=/var/run/postgresql \
PGUSER="${POSTGRES_USER:-postgres}" \
  bash /opt/clarion/db-setup.sh clarion
