#!/usr/bin/env bash
# Restores a backup made by tools/infra/backup.sh into a NEW database, with the Clarion roles and ownership intact.
#   PGHOST=db.internal PGUSER=postgres tools/infra/restore.sh /backups/clarion-20261126T0300Z.dump clarion_restored
# Run as a PostgreSQL superuser. The Clarion roles (clarion_owner, one per service, clarion_app) are created when
# missing (db-setup.sh; set CLARION_OWNER_PASSWORD and CLARION_<SERVICE>_PASSWORD outside development). A database that already holds a Clarion schema
# is refused: restore next to the live one, check it, then switch DATABASE_URL (docs/runbooks/backup-restore.md).
# Afterwards: statistics are rebuilt (ANALYZE), and the next steps are printed.
set -euo pipefail
IN="${1:-}"
DB="${2:-}"
[ -f "$IN" ] || { echo "usage: restore.sh <backup file> <new database>  (no such file: '$IN')" >&2; exit 2; }
[[ "$DB" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || { echo "usage: restore.sh <backup file> <new database>  (database name: [a-z0-9_])" >&2; exit 2; }
: "${PGHOST:=127.0.0.1}" "${PGUSER:=postgres}"
export PGHOST PGUSER
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Checked before anything is created: a file that is not a pg_dump archive ends here.
pg_restore --list "$IN" > /dev/null
if [ "$(psql -X -qAt -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" = "1" ] &&
   [ "$(psql -X -qAt -d "$DB" -c "SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'migrations'")" = "1" ]; then
  echo "restore: database $DB already holds a Clarion schema; restore into a new database" >&2
  exit 2
fi
started=$(date +%s)
bash "$here/db-setup.sh" "$DB" > /dev/null
# Ownership and grants come from the dump (the roles exist); one transaction, so a failed restore leaves nothing behind.
pg_restore --no-password --exit-on-error --single-transaction --dbname="$DB" "$IN"
psql -X -qAt -d "$DB" -c 'ANALYZE' > /dev/null
migrations=$(psql -X -qAt -d "$DB" -c 'SELECT count(*) FROM migrations')
echo "restore: $IN -> $DB ($migrations migrations, $(( $(date +%s) - started )) s)"
echo "next: npm run migrate (applies what is newer than the backup), npm run clarion -- audit verify, then point DATABASE_URL at $DB"
