#!/usr/bin/env bash
# Creates the Clarion roles and a database (idempotent). Run as a PostgreSQL superuser, e.g.
#   PGHOST=127.0.0.1 PGUSER=postgres tools/infra/db-setup.sh clarion
# Roles: clarion_owner owns the schema and runs migrations; clarion_app is what the services use. The app role is
# not the owner and has no BYPASSRLS, so row-level security applies to every query it makes.
# Passwords: local development uses trust auth. Elsewhere set CLARION_OWNER_PASSWORD / CLARION_APP_PASSWORD.
set -euo pipefail
DB="${1:-clarion}"
: "${PGHOST:=127.0.0.1}" "${PGUSER:=postgres}"
export PGHOST PGUSER
psql_super() { psql -v ON_ERROR_STOP=1 -qAt "$@"; }

psql_super -d postgres -v owner_pw="${CLARION_OWNER_PASSWORD:-}" -v app_pw="${CLARION_APP_PASSWORD:-}" <<'SQL'
SELECT format('CREATE ROLE clarion_owner LOGIN NOSUPERUSER NOBYPASSRLS')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clarion_owner') \gexec
SELECT format('CREATE ROLE clarion_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clarion_app') \gexec
SELECT format('ALTER ROLE clarion_owner PASSWORD %L', :'owner_pw') WHERE :'owner_pw' <> '' \gexec
SELECT format('ALTER ROLE clarion_app PASSWORD %L', :'app_pw') WHERE :'app_pw' <> '' \gexec
SQL

if [ "$(psql_super -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
  psql_super -d postgres -c "CREATE DATABASE \"$DB\" OWNER clarion_owner"
fi
psql_super -d "$DB" <<'SQL'
ALTER SCHEMA public OWNER TO clarion_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO clarion_app;
SQL
echo "database $DB ready (owner clarion_owner, application role clarion_app)"
