#!/usr/bin/env bash
# Writes a fresh, consistent set of the secret files docker-compose.yml reads (random passwords, and the connection
# URLs that embed them) into DIR, which should live outside the repository:
#   sudo deploy/compose/generate-secrets.sh /etc/clarion/secrets
#   docker compose --env-file /etc/clarion/secrets/compose.env -f deploy/compose/docker-compose.yml up -d --build --wait
# compose.env points CLARION_SECRETS_DIR at DIR and sets CLARION_COMPOSE_ENV=production, the services' CLARION_ENV
# (in production they refuse the committed placeholders: these are the secrets they run on there).
# Every secret file is 0600 in a 0700 directory. Compose bind-mounts file secrets with their owner and mode as they are
# on the host, so, run as root, the script gives each file to the user its one reader runs as in docker-compose.yml
# (the Clarion images 1000, postgres and redis 999, grafana 472); run as anyone else, the files stay that user's.
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

umask 077
mkdir -p "$dir"
chmod 700 "$dir"
if [ "$force" -eq 0 ] && [ "$redis_only" -eq 0 ] && ls "$dir"/*.txt >/dev/null 2>&1; then
  echo "$dir already holds secrets; use --force to replace them (and then the database roles' passwords)" >&2
  exit 1
fi
# The uid:gid of the one container that reads each secret (docker-compose.yml; compose.spec.ts checks the two agree).
owner_of() {
  case "$1" in
    postgres_password | clarion_*_password) echo 999:999 ;; # postgres (its entrypoint and init run as postgres)
    redis_*_password) echo 999:1000 ;;                      # redis (user: redis)
    grafana_admin_password) echo 472:0 ;;                   # grafana
    *) echo 1000:1000 ;;                                    # the Clarion images (USER 1000:1000): URLs and keys
  esac
}
# A new file each time (never one an earlier run left with other permissions), 0600, handed to its reader when root.
write() {
  local file="$dir/$1.txt"
  rm -f "$file"
  printf '%s\n' "$2" > "$file"
  chmod 600 "$file"
  if [ "$(id -u)" -eq 0 ]; then chown "$(owner_of "$1")" "$file"; fi
}
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
# Not secret: what points compose at these files, in production (docker compose --env-file DIR/compose.env ...).
rm -f "$dir/compose.env"
printf 'CLARION_COMPOSE_ENV=production\nCLARION_SECRETS_DIR=%s\n' "$(cd "$dir" && pwd)" > "$dir/compose.env"
chmod 644 "$dir/compose.env"
echo "wrote $(ls "$dir"/*.txt | wc -l) secret files (0600) and compose.env to $dir"
if [ "$(id -u)" -ne 0 ]; then
  echo "note: the files belong to $(id -un); the containers read them as uid 1000, 999 and 472: run as root to hand each to its reader" >&2
fi
