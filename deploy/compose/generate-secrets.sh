#!/usr/bin/env bash
# Writes a fresh, consistent set of the secret files docker-compose.yml reads (random passwords, and the connection
# URLs that embed them) into DIR, which should live outside the repository:
#   deploy/compose/generate-secrets.sh /etc/clarion/secrets
#   CLARION_SECRETS_DIR=/etc/clarion/secrets docker compose -f deploy/compose/docker-compose.yml up -d --build --wait
# Passwords are hex, so they never need URL-encoding. Existing files are not overwritten unless --force is given:
# PostgreSQL keeps the passwords it was initialised with, so changing them means changing the roles too.
# --redis-only (re)writes only the Redis users' passwords and URLs, e.g. in a directory made before each service had
# its own Redis user: Redis takes its passwords from these files at every start.
set -euo pipefail
usage() { echo "usage: $0 [--force | --redis-only] DIR" >&2; exit 2; }
force=0 redis_only=0
[ "${1:-}" = "--force" ] && { force=1; shift; }
[ "${1:-}" = "--redis-only" ] && { redis_only=1; shift; }
[ $# -eq 1 ] || usage
dir="$1"

random() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

mkdir -p "$dir"
if [ "$force" -eq 0 ] && [ "$redis_only" -eq 0 ] && ls "$dir"/*.txt >/dev/null 2>&1; then
  echo "$dir already holds secrets; use --force to replace them (and then the database roles' passwords)" >&2
  exit 1
fi
umask 022 # the services run as uid 1000 and PostgreSQL's init as uid 999: the files must be readable by them
write() { printf '%s\n' "$2" > "$dir/$1.txt"; }
# Redis: a password per ACL user (deploy/redis/users.acl); each service's URL names its own user.
for id in gateway auth ingest clustering retention operator; do
  pw="$(random)"
  write "redis_${id}_password" "$pw"
  [ "$id" = operator ] || write "${id}_redis_url" "redis://${id}:${pw}@redis:6379"
done
if [ "$redis_only" -eq 1 ]; then
  echo "wrote the Redis users' passwords and URLs to $dir; recreate redis and the services: docker compose up -d --force-recreate"
  exit 0
fi
postgres_pw="$(random)" owner_pw="$(random)" app_pw="$(random)" grafana_pw="$(random)"
write postgres_password "$postgres_pw"
write clarion_owner_password "$owner_pw"
write clarion_app_password "$app_pw"
write database_migration_url "postgres://clarion_owner:${owner_pw}@postgres:5432/clarion"
# Each service its own role and URL; the URL file is mounted into that service's container alone.
for service in gateway auth ingest clustering retention; do
  pw="$(random)"
  write "clarion_${service}_password" "$pw"
  write "${service}_database_url" "postgres://clarion_${service}:${pw}@postgres:5432/clarion"
done
write grafana_admin_password "$grafana_pw"
write auth_master_key "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
write audit_key "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
echo "wrote $(ls "$dir"/*.txt | wc -l) secret files to $dir"
