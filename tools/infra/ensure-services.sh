#!/usr/bin/env bash
# Makes sure this machine has what Clarion runs on: PostgreSQL (5432), NATS with JetStream (4222) and Redis (6379)
# on 127.0.0.1, loopback access to PostgreSQL without passwords for local development, the `clarion` roles and
# database, and optionally the test database and the flow exporters the ingest tests drive.
#
#   tools/infra/ensure-services.sh [--test-db] [--with-exporters]
#     --test-db          also create the clarion_test database (integration tests)
#     --with-exporters   also make sure softflowd, pmacct, nfdump and nfdump-sflow are installed (ingest tests)
#
# What is missing is installed with apt and started only on Debian/Ubuntu when running as root; anywhere else the
# script says what to install and exits 1. Idempotent: when everything is there it prints one line.
# Plain bash on purpose: `npm start` and `npm test` run it before node_modules exists.
#
# Environment:
#   CLARION_PG_PORT, CLARION_NATS_PORT, CLARION_REDIS_PORT   ports to look at (default 5432, 4222, 6379); a service
#       found elsewhere also needs DATABASE_URL / NATS_URL / REDIS_URL set for the services
#   CLARION_INFRA_AUTO_INSTALL=0   never install or start anything, only check and explain
set -euo pipefail

HOST=127.0.0.1
PG_PORT="${CLARION_PG_PORT:-5432}"
NATS_PORT="${CLARION_NATS_PORT:-4222}"
REDIS_PORT="${CLARION_REDIS_PORT:-6379}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$PATH:/usr/sbin:/sbin"

want_test_db=0
want_exporters=0
for arg in "$@"; do
  case "$arg" in
    --test-db) want_test_db=1 ;;
    --with-exporters) want_exporters=1 ;;
    -h | --help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ensure-services: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

did=()                                   # what this run changed, reported at the end
say() { printf 'infra: %s\n' "$*"; }
changed() { did+=("$*"); say "$*"; }
die() { printf '\ninfra: %s\n\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------------------------------------------------------------
# Installing: only on Debian/Ubuntu as root, and only when allowed.
why_no_install() {
  if [ "${CLARION_INFRA_AUTO_INSTALL:-1}" = "0" ]; then echo "CLARION_INFRA_AUTO_INSTALL=0 is set"
  elif ! have apt-get || [ ! -r /etc/debian_version ]; then echo "this is not a Debian/Ubuntu machine"
  elif [ "$(id -u)" != "0" ]; then echo "this script is not running as root (run it with sudo to let it install)"
  fi
}
can_install() { [ -z "$(why_no_install)" ]; }
systemd_running() { [ -d /run/systemd/system ]; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"
    apt-get update -qq || say "apt-get update failed; trying the install with the package lists already here"
    apt_updated=1
  fi
  say "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    2> >(grep -v '^debconf: delaying package configuration' >&2)
}

# missing WHAT DEBIAN_PACKAGES OTHER_HINT: explain what to install, and stop.
missing() {
  die "$1, and this script cannot install it: $(why_no_install).
      Install it (and start it), then run this again:
        Debian/Ubuntu:  sudo apt-get install $2   (or run this script as root)
        elsewhere:      $3"
}

# ---------------------------------------------------------------------------------------------------------------------
# Probes. /dev/tcp is bash's own, so none of this needs nc, curl or node.
with_timeout() { if have timeout; then timeout "$@"; else shift; "$@"; fi; }
port_open() { with_timeout 3 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

wait_port() { # PORT SECONDS
  local i
  for ((i = 0; i < $2 * 4; i++)); do port_open "$1" && return 0; sleep 0.25; done
  return 1
}

redis_answers() { # a real Redis answers PING with +PONG (or -NOAUTH when it wants a password)
  with_timeout 3 bash -c "exec 3<>/dev/tcp/$HOST/$1; printf 'PING\r\n' >&3; IFS= read -r -t 2 reply <&3; [[ \$reply == +PONG* || \$reply == -NOAUTH* ]]" 2>/dev/null
}

# NATS with JetStream: speak the NATS text protocol, ask $JS.API.INFO and look for the account_info response.
# Prints ok | no-jetstream | not-nats | no-answer.
nats_jetstream_state() {
  local port=$1 line payload inbox="_INBOX.clarion_ensure_$$"
  if ! port_open "$port" || ! { exec 3<>"/dev/tcp/$HOST/$port"; } 2>/dev/null; then echo no-answer; return; fi
  if ! IFS= read -r -t 3 line <&3 || [[ $line != INFO* ]]; then exec 3>&-; echo not-nats; return; fi
  # headers + no_responders: without JetStream the server answers at once with a 503 status message.
  printf 'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"lang":"bash","version":"1","protocol":1}\r\nSUB %s 1\r\nPUB $JS.API.INFO %s 0\r\n\r\n' "$inbox" "$inbox" >&3
  local state=no-jetstream
  while IFS= read -r -t 3 line <&3; do
    line=${line%$'\r'}
    case "$line" in
      MSG\ *)
        IFS= read -r -t 3 payload <&3 || break
        if [[ $payload == *account_info_response* && $payload != *'"error"'* ]]; then state=ok; fi
        break ;;
      HMSG\ *) break ;; # status message: 503 no responders
      PING) printf 'PONG\r\n' >&3 ;;
      -ERR*) state="error: ${line#-ERR }"; break ;;
    esac
  done
  exec 3>&-
  echo "$state"
}

# ---------------------------------------------------------------------------------------------------------------------
# Starting a service that is installed but stopped (Debian/Ubuntu as root), without systemd when it is not running:
# the same commands this project's machines use.
start_postgres() {
  if systemd_running; then systemctl enable --now postgresql >/dev/null 2>&1 || systemctl start postgresql; return; fi
  local ver
  ver="$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n1)"
  [ -n "$ver" ] || die "PostgreSQL is installed but no server version was found in /usr/lib/postgresql"
  if ! pg_lsclusters -h 2>/dev/null | grep -q .; then
    pg_createcluster "$ver" main >/dev/null
    changed "created PostgreSQL cluster $ver/main"
  fi
  # Start every cluster that is down (normally just <ver>/main).
  pg_lsclusters -h | while read -r v name _port status _rest; do
    if [ "$status" != online ]; then pg_ctlcluster --skip-systemctl-redirect "$v" "$name" start; fi
  done
}

start_nats() {
  # One JetStream store per server: never share the default one with a NATS on another port.
  local store=/var/lib/nats-server
  [ "$NATS_PORT" = 4222 ] || store="/var/lib/nats-server-$NATS_PORT"
  install -d "$store"
  if systemd_running && [ -f /lib/systemd/system/nats-server.service ]; then
    # Debian's unit runs /etc/nats-server.conf, which has no JetStream block.
    if ! grep -q '^[[:space:]]*jetstream' /etc/nats-server.conf 2>/dev/null; then
      printf '\n# JetStream, added by clarion tools/infra/ensure-services.sh\njetstream {\n  store_dir: /var/lib/nats-server\n}\n' >>/etc/nats-server.conf
      changed "enabled JetStream in /etc/nats-server.conf"
    fi
    chown nats:nats /var/lib/nats-server 2>/dev/null || true
    systemctl enable nats-server >/dev/null 2>&1 || true
    systemctl restart nats-server
    return
  fi
  # The pid file scopes --oknodo to this instance, not to any nats-server running on another port.
  start-stop-daemon --start --oknodo --background --make-pidfile --pidfile "/run/clarion-nats-server-$NATS_PORT.pid" \
    --exec /usr/sbin/nats-server -- \
    -a "$HOST" -p "$NATS_PORT" -js -sd "$store" -l "/var/log/nats-server${store#/var/lib/nats-server}.log"
}

start_redis() {
  if systemd_running; then systemctl enable --now redis-server >/dev/null 2>&1 || systemctl start redis-server; return; fi
  install -d /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null
}

# ensure NAME PORT PROBE BINARY PACKAGE START INSTALL_HINT START_HINT
ensure() {
  local name=$1 port=$2 probe=$3 binary=$4 package=$5 start=$6 hint=$7 start_hint=$8
  if "$probe" "$port"; then return 0; fi
  if port_open "$port"; then
    die "something answers on $HOST:$port, but it is not $name. Free the port or point CLARION_*_PORT and the service URLs elsewhere."
  fi
  if ! can_install; then
    have "$binary" && die "$name is installed but not answering on $HOST:$port, and this script cannot start it: $(why_no_install).
      Start it, then run this again:  $start_hint"
    missing "$name is not answering on $HOST:$port" "$package" "$hint"
  fi
  if ! have "$binary"; then
    apt_install "$package" || die "installing $package failed (see apt-get's messages above)"
    changed "installed $package"
  fi
  "$start" || die "starting $name failed (see the messages above)"
  wait_port "$port" 30 && "$probe" "$port" ||
    die "$name was started but does not answer on $HOST:$port within 30 s; look at its log (/var/log/postgresql, /var/log/nats-server.log, /var/log/redis)."
  changed "started $name on $HOST:$port"
}

pg_ready() { port_open "$1" && { ! have pg_isready || pg_isready -q -h "$HOST" -p "$1" -t 3; }; }
nats_ready() { case "$(nats_jetstream_state "$1")" in no-answer | not-nats) return 1 ;; esac; } # JetStream: below
redis_ready() { redis_answers "$1"; }

# ---------------------------------------------------------------------------------------------------------------------
ensure PostgreSQL "$PG_PORT" pg_ready pg_ctlcluster postgresql start_postgres \
  "install PostgreSQL 14 or later (macOS: brew install postgresql@16 && brew services start postgresql@16)" \
  "sudo systemctl start postgresql, or without systemd: sudo pg_ctlcluster --skip-systemctl-redirect <version> main start"
ensure NATS "$NATS_PORT" nats_ready nats-server nats-server start_nats \
  "install nats-server 2.9 or later and run it with JetStream: nats-server -js -sd <dir> (macOS: brew install nats-server)" \
  "nats-server -a 127.0.0.1 -p $NATS_PORT -js -sd <a writable directory>"
ensure Redis "$REDIS_PORT" redis_ready redis-server redis-server start_redis \
  "install Redis 6 or later (macOS: brew install redis && brew services start redis)" \
  "sudo systemctl start redis-server, or: redis-server --daemonize yes --port $REDIS_PORT"

case "$(nats_jetstream_state "$NATS_PORT")" in
  ok) ;;
  not-nats) die "something answers on $HOST:$NATS_PORT, but it is not a NATS server." ;;
  error:*) die "NATS on $HOST:$NATS_PORT refused the connection ($(nats_jetstream_state "$NATS_PORT")). Clarion's local setup expects a NATS server without authentication." ;;
  *) die "NATS answers on $HOST:$NATS_PORT but JetStream is not enabled. Restart it with JetStream on:
        nats-server -a 127.0.0.1 -p $NATS_PORT -js -sd /var/lib/nats-server
      or add 'jetstream { store_dir: /var/lib/nats-server }' to its configuration file." ;;
esac

# ---------------------------------------------------------------------------------------------------------------------
# PostgreSQL: local development connects over loopback without passwords (the services' default DATABASE_URL has none).
export PGHOST="$HOST" PGPORT="$PG_PORT"
if ! have psql; then
  can_install || missing "The PostgreSQL client psql is not installed" postgresql-client "install the PostgreSQL client tools (psql)"
  apt_install postgresql-client || die "installing postgresql-client failed"
  changed "installed postgresql-client"
fi

pg_login_ok() { psql -X -w -qAt -U "$1" -d "$2" -c 'SELECT 1' >/dev/null 2>&1; } # USER DB

# As the postgres OS user over the local socket (peer auth), which works whatever pg_hba.conf says about TCP.
psql_as_postgres_os_user() { env -u PGHOST -u PGUSER -u PGPASSWORD runuser -u postgres -- psql -X -qAt -p "$PG_PORT" "$@"; }

allow_loopback_trust() { # prepend trust rules for loopback to pg_hba.conf of the local cluster, then reload
  local hba why
  why="$(why_no_install)"
  [ -n "$why" ] || have runuser || why="runuser is missing"
  [ -n "$why" ] || hba="$(psql_as_postgres_os_user -c 'SHOW hba_file' 2>/dev/null)" || why="cannot reach PostgreSQL as the postgres OS user over its local socket"
  [ -n "$why" ] || [ -w "$hba" ] || why="$hba is not writable"
  [ -z "$why" ] ||
    die "PostgreSQL on $HOST:$PG_PORT does not let '$1' log in without a password, and this script cannot change that here ($why).
      For local development add these lines at the top of pg_hba.conf and reload PostgreSQL:
        host all all 127.0.0.1/32 trust
        host all all ::1/128 trust"
  if ! grep -q 'added by clarion tools/infra/ensure-services.sh' "$hba"; then
    { printf '# Local development: loopback logins without passwords (added by clarion tools/infra/ensure-services.sh)\n'
      printf 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n'
      cat "$hba"; } >"$hba.clarion-new"
    chown --reference="$hba" "$hba.clarion-new"; chmod --reference="$hba" "$hba.clarion-new"
    cp -p "$hba" "$hba.before-clarion"
    mv "$hba.clarion-new" "$hba"
    psql_as_postgres_os_user -c 'SELECT pg_reload_conf()' >/dev/null
    changed "allowed loopback logins without a password in $hba (previous file kept as $hba.before-clarion)"
  fi
}

pg_login_ok postgres postgres || allow_loopback_trust postgres
pg_login_ok postgres postgres || die "still cannot log in to PostgreSQL on $HOST:$PG_PORT as postgres without a password"

dbs=(clarion)
[ "$want_test_db" = 1 ] && dbs+=(clarion_test)
for db in "${dbs[@]}"; do
  out="$(PGUSER=postgres bash "$ROOT/tools/infra/db-setup.sh" "$db" 2>&1)" || die "tools/infra/db-setup.sh $db failed:
$out"
  while IFS= read -r line; do [[ $line == created* ]] && changed "$line"; done <<<"$out"
  for role in clarion_owner clarion_app clarion_gateway clarion_auth clarion_ingest clarion_clustering clarion_retention; do
    pg_login_ok "$role" "$db" || { allow_loopback_trust "$role"; pg_login_ok "$role" "$db"; } ||
      die "role $role cannot log in to database $db on $HOST:$PG_PORT without a password"
  done
done

# ---------------------------------------------------------------------------------------------------------------------
if [ "$want_exporters" = 1 ]; then
  # binary:package. Real exporters and collectors the ingest tests drive against the collector.
  need=()
  for pair in softflowd:softflowd pmacctd:pmacct nfacctd:pmacct nfdump:nfdump nfcapd:nfdump sfcapd:nfdump-sflow; do
    have "${pair%%:*}" || [[ " ${need[*]} " == *" ${pair#*:} "* ]] || need+=("${pair#*:}")
  done
  if [ "${#need[@]}" -gt 0 ]; then
    can_install || missing "The flow exporters the ingest tests drive are not installed (${need[*]})" "${need[*]}" \
      "install softflowd, pmacct, nfdump and nfdump-sflow from your package manager"
    apt_install "${need[@]}" || die "installing ${need[*]} failed (see apt-get's messages above)"
    changed "installed ${need[*]}"
  fi
fi

extra=""
[ "$want_exporters" = 1 ] && extra="; exporters softflowd, pmacct, nfdump, nfdump-sflow"
if [ "${#did[@]}" -eq 0 ]; then
  say "PostgreSQL :$PG_PORT, NATS :$NATS_PORT (JetStream), Redis :$REDIS_PORT up; databases ${dbs[*]} ready$extra (nothing to do)"
else
  say "ready: PostgreSQL :$PG_PORT, NATS :$NATS_PORT (JetStream), Redis :$REDIS_PORT; databases ${dbs[*]}$extra"
fi
