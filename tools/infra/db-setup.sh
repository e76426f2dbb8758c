#!/usr/bin/env bash
# Creates the Clarion roles and a database (idempotent). Run as a PostgreSQL superuser, e.g.
#   PGHOST=127.0.0.1 PGUSER=postgres tools/infra/db-setup.sh clarion
# Roles: clarion_owner owns the schema and runs migrations; clarion_app is what the services use. The app role is
# not the owner and has no BYPASSRLS, so row-level security applies to every query it makes.
# Passwords: local development uses trust auth. Elsewhere set CLARION_OWNER_PASSWORD / CLARION_APP_PASSWORD.
# Prints one "created ..." line per object it creates, then one "database ... ready" line.
set -euo pipefail
DB="${1:-clarion}"
# The name is spliced into SQL below, so it must be a plain identifier.
[[ "$DB" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || { echo "db-setup: invalid database name '$DB' (use [a-z0-9_])" >&2; exit 2; }
: "${PGHOST:=127.0.0.1}" "${PGUSER:=postgres}"
export PGHOST PGUSER
psql_super() { psql -X -v ON_ERROR_STOP=1 -qAt "$@"; }

for role in clarion_owner clarion_app; do
  if [ "$(psql_super -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" != "1" ]; then
    case "$role" in
      clarion_owner) psql_super -d postgres -c 'CREATE ROLE clarion_owner LOGIN NOSUPERUSER NOBYPASSRLS' ;;
      clarion_app) psql_super -d postgres -c 'CREATE ROLE clarion_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE' ;;
    esac
    echo "created role $role"
  fi
done

psql_super -d postgres -v owner_pw="${CLARION_OWNER_PASSWORD:-}" -v app_pw="${CLARION_APP_PASSWORD:-}" <<'SQL'
SELECT format('ALTER ROLE clarion_owner PASSWORD %L', :'owner_pw') WHERE :'owner_pw' <> '' \gexec
SELECT format('ALTER ROLE clarion_app PASSWORD %L', :'app_pw') WHERE :'app_pw' <> '' \gexec
SQL

if [ "$(psql_super -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
  psql_super -d postgres -c "CREATE DATABASE \"$DB\" OWNER clarion_owner"
  echo "created database $DB"
fi
psql_super -d "$DB" <<'SQL'
ALTER SCHEMA public OWNER TO clarion_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO clarion_app;
SQL
echo "database $DB ready (owner clarion_owner, application role clarion_app)"
