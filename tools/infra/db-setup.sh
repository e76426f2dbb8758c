#!/usr/bin/env bash
# Creates the Clarion roles and a database (idempotent). Run as a PostgreSQL superuser, e.g.
#   PGHOST=127.0.0.1 PGUSER=postgres tools/infra/db-setup.sh clarion
# Roles: clarion_owner owns the schema and runs migrations; each service connects as its own role (clarion_gateway,
# clarion_auth, clarion_ingest, clarion_clustering, clarion_retention), which the migrations grant only what that
# service uses; clarion_app is the role all services shared before, kept for deployments that still use it. No
# service role is an owner or has BYPASSRLS, so row-level security applies to every query it makes. Roles belong to
# the whole cluster and only a superuser may create them here (clarion_owner has no CREATEROLE), hence this script.
# Passwords: local development uses trust auth. Elsewhere set CLARION_OWNER_PASSWORD, CLARION_APP_PASSWORD and
# CLARION_<SERVICE>_PASSWORD (CLARION_GATEWAY_PASSWORD, ...); an unset one leaves the role's password as it is.
# Prints one "created ..." line per object it creates, then one "database ... ready" line.
set -euo pipefail
DB="${1:-clarion}"
# The name is spliced into SQL below, so it must be a plain identifier.
[[ "$DB" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || { echo "db-setup: invalid database name '$DB' (use [a-z0-9_])" >&2; exit 2; }
: "${PGHOST:=127.0.0.1}" "${PGUSER:=postgres}"
export PGHOST PGUSER
psql_super() { psql -X -v ON_ERROR_STOP=1 -qAt "$@"; }

SERVICES=(gateway auth ingest clustering retention)
for role in clarion_owner clarion_app "${SERVICES[@]/#/clarion_}"; do
  if [ "$(psql_super -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" != "1" ]; then
    case "$role" in
      clarion_owner) psql_super -d postgres -c 'CREATE ROLE clarion_owner LOGIN NOSUPERUSER NOBYPASSRLS' ;;
      *) psql_super -d postgres -c "CREATE ROLE $role LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE" ;;
    esac
    echo "created role $role"
  fi
done

# A role whose password variable is unset or empty keeps the password it has.
while read -r role pw; do
  [ -n "$pw" ] || continue
  psql_super -d postgres -v role="$role" -v pw="$pw" <<'SQL'
SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'pw') \gexec
SQL
done <<PASSWORDS
clarion_owner ${CLARION_OWNER_PASSWORD:-}
clarion_app ${CLARION_APP_PASSWORD:-}
clarion_gateway ${CLARION_GATEWAY_PASSWORD:-}
clarion_auth ${CLARION_AUTH_PASSWORD:-}
clarion_ingest ${CLARION_INGEST_PASSWORD:-}
clarion_clustering ${CLARION_CLUSTERING_PASSWORD:-}
clarion_retention ${CLARION_RETENTION_PASSWORD:-}
PASSWORDS

if [ "$(psql_super -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
  psql_super -d postgres -c "CREATE DATABASE \"$DB\" OWNER clarion_owner"
  echo "created database $DB"
fi
psql_super -d "$DB" <<'SQL'
ALTER SCHEMA public OWNER TO clarion_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO clarion_app;
SQL
echo "database $DB ready (owner clarion_owner; service roles ${SERVICES[*]/#/clarion_}, clarion_app)"
