#!/usr/bin/env bash
# Backs up a Clarion database to one file (pg_dump custom format: compressed, restorable table by table, in parallel).
#   PGHOST=db.internal PGUSER=postgres tools/infra/backup.sh clarion /backups/clarion-$(date -u +%Y%m%dT%H%MZ).dump
# Run as a PostgreSQL superuser (or a role with BYPASSRLS that can read every table): row-level security would hide
# every tenant's rows from anybody else, and pg_dump refuses to write a dump that RLS has filtered.
# The dump is consistent (one snapshot) while the services keep running. Written to <file>.partial and renamed when
# complete, so a file with the final name is always a whole backup, readable by its owner alone (0600). Prints one
# line: file, size, seconds.
# Restore with tools/infra/restore.sh; docs/runbooks/backup-restore.md.
set -euo pipefail
DB="${1:-}"
OUT="${2:-}"
[[ "$DB" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || { echo "usage: backup.sh <database> <file>  (database name: [a-z0-9_])" >&2; exit 2; }
[ -n "$OUT" ] || { echo "usage: backup.sh <database> <file>" >&2; exit 2; }
[ -e "$OUT" ] && { echo "backup: $OUT exists; refusing to overwrite a backup" >&2; exit 2; }
: "${PGHOST:=127.0.0.1}" "${PGUSER:=postgres}"
export PGHOST PGUSER
started=$(date +%s)
# 0600: the dump holds every tenant's data, password and API-key hashes and the encrypted signing keys.
umask 077
rm -f "$OUT.partial"
# --enable-row-security is NOT set: a role that RLS applies to makes pg_dump fail instead of writing a partial dump.
pg_dump --no-password --format=custom --compress=6 --dbname="$DB" --file="$OUT.partial"
mv "$OUT.partial" "$OUT"
echo "backup: $DB -> $OUT ($(stat -c %s "$OUT") bytes, $(( $(date +%s) - started )) s)"
