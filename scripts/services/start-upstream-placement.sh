#!/usr/bin/env bash
# Starts upstream OpenStack Placement 8.0 (Debian 12's python3-placement) on 127.0.0.1, with no
# Keystone, as a comparison baseline and a reference server. Prints its base URL on stdout
# (everything else goes to stderr). Stop it with stop-upstream-placement.sh STATE_DIR.
#
#   start-upstream-placement.sh [STATE_DIR] [PORT]
#     STATE_DIR  default /tmp/tstack-upstream-placement: config, database, pidfiles, logs
#     PORT       default 28778 (outside the kernel's ephemeral range, 32768-60999 here)
#
# Environment:
#   PLACEMENT_DB         mariadb (default) or sqlite; fixed per state dir at its first start
#   PLACEMENT_PROCESSES  uwsgi worker processes (default 2)
#   PLACEMENT_THREADS    threads per worker (default 4)
#   PLACEMENT_RESET=1    start with an empty database (only when the server is not running)
#   PLACEMENT_BENCH_TOOLS=1  also install the load generator bench/placement-http.bench.ts drives
#                        both servers with (Debian's wrk)
#
# Sizing: 2 processes x 4 threads for a 2-core machine. Request handling is mostly Python (one
# GIL per process), so one process per core gives the parallelism, and a few threads per process
# cover the time spent waiting on the database and the client. (Debian's packaged
# placement-api-uwsgi.ini, 8 x 32, is sized for a big control node.)
#
# Server: uwsgi (uwsgi-core + uwsgi-plugin-python3) serving /usr/bin/placement-api over plain
# HTTP, with the options of Debian's placement-api-uwsgi.ini that matter. Debian's
# `placement-api`/`placement-common` packages are not used: they add only an init script, a
# system user and dbconfig-common prompts.
#
# Database: a private MariaDB 10.11 server (Debian's mariadb-server) with its data in
# STATE_DIR/mysql, on a Unix socket only (--skip-networking: no TCP port), default settings,
# database created `CHARACTER SET utf8` as devstack (upstream's CI) does. MySQL/MariaDB is what
# Placement is run and tested on. Measured alternatives:
#   - SQLite (PLACEMENT_DB=sqlite): Placement 8.0 accepts `sqlite:////abs/path` and `db sync`
#     builds it, but concurrent writes fail with HTTP 500 "(sqlite3.OperationalError) database is
#     locked" (282 of 1600 requests from 16 clients, WAL or not): one client at a time only.
#   - PostgreSQL 15: correct under concurrency, but Placement 8.0 has SQL that PostgreSQL rejects
#     (HTTP 500): GET /usages at 1.38 (GROUP BY) and allocation candidates with a forbidden trait
#     (trait names compared to integer ids). Not offered.
#
# Auth: `[api] auth_strategy = noauth2`: every request but `GET /` needs an `X-Auth-Token`
# header; token `admin` is an admin (any other token is a user with no role and gets 403).
#
# Safe to run again: when this state dir's server is already up on PORT it just prints the URL.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

state_dir="${1:-/tmp/tstack-upstream-placement}"
port="${2:-28778}"
processes="${PLACEMENT_PROCESSES:-2}"
threads="${PLACEMENT_THREADS:-4}"

log() { printf '[upstream-placement] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

svc_is_port "$port" || die "bad port: $port"
if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
  read -r eph_lo eph_hi < /proc/sys/net/ipv4/ip_local_port_range
  if [ "$port" -ge "$eph_lo" ] && [ "$port" -le "$eph_hi" ]; then
    log "warning: port $port is inside the ephemeral range $eph_lo-$eph_hi; a client may hold it"
  fi
fi

mkdir -p "$state_dir"
state_dir="$(cd "$state_dir" && pwd -P)"
etc_dir="$state_dir/etc"
pid_file="$state_dir/uwsgi.pid"
log_file="$state_dir/uwsgi.log"
port_file="$state_dir/port"
backend_file="$state_dir/db-backend"
sync_stamp="$state_dir/db-synced"
sqlite_file="$state_dir/placement.sqlite"
my_data="$state_dir/mysql"
my_sock="$state_dir/mysqld.sock"
my_pid_file="$state_dir/mysqld.pid"
url="http://127.0.0.1:$port"

if [ -s "$backend_file" ] && [ "${PLACEMENT_RESET:-0}" != 1 ]; then
  backend="$(cat "$backend_file")"
  if [ -n "${PLACEMENT_DB:-}" ] && [ "$PLACEMENT_DB" != "$backend" ]; then
    die "$state_dir uses $backend; PLACEMENT_DB=$PLACEMENT_DB needs another state dir or PLACEMENT_RESET=1"
  fi
else
  backend="${PLACEMENT_DB:-mariadb}"
fi
case "$backend" in mariadb|sqlite) ;; *) die "PLACEMENT_DB must be mariadb or sqlite" ;; esac

# ---- packages (same retry/lock pattern as scripts/install-deps.sh) ------------------------------
apt_updated=0
apt_install() {
  local missing=() pkg try
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  [ "$(id -u)" -eq 0 ] || die "need root to install: ${missing[*]}"
  # Installing a daemon's package must not start the distro's copy of it.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  for try in 1 2 3 4 5 6; do
    if [ "$apt_updated" -eq 0 ]; then
      if apt-get update -qq -o DPkg::Lock::Timeout=120 >&2; then apt_updated=1; else sleep $((try * 5)); continue; fi
    fi
    if apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=120 "${missing[@]}" >&2; then
      log "installed: ${missing[*]}"
      return 0
    fi
    log "apt-get install failed (try $try), retrying"
    sleep $((try * 5))
  done
  die "could not install: ${missing[*]}"
}

# ---- helpers ------------------------------------------------------------------------------------
# The pid in our pidfile, if it is a live uwsgi that runs our ini.
our_pid() {
  svc_pid "$pid_file" "$etc_dir/uwsgi.ini"
}
answers() {
  curl -sf --max-time 2 "$url/" 2>/dev/null | grep -q '"max_version"'
}
# The pid of this state dir's mariadbd, if it runs.
mariadb_pid() {
  svc_pid "$my_pid_file" "--datadir=$my_data"
}
sql() { mariadb --no-defaults --socket="$my_sock" -u root -N -B -e "$1"; }

# ---- already running? ---------------------------------------------------------------------------
if pid="$(our_pid)"; then
  [ "${PLACEMENT_RESET:-0}" != 1 ] || die "PLACEMENT_RESET=1: the server of $state_dir runs (pid $pid); stop it first"
  if [ "$(cat "$port_file" 2>/dev/null)" = "$port" ] && answers; then
    log "already running (pid $pid)"
    printf '%s\n' "$url"
    exit 0
  fi
  die "a server of $state_dir is running (pid $pid) on port $(cat "$port_file" 2>/dev/null || echo '?'); stop it first"
fi
rm -f "$pid_file"
if curl -s --max-time 2 -o /dev/null "$url/" 2>/dev/null; then
  die "something else already answers on $url"
fi

pkgs=(python3-placement uwsgi-core uwsgi-plugin-python3 curl)
[ "$backend" = sqlite ] || pkgs+=(mariadb-server mariadb-client python3-pymysql)
[ "${PLACEMENT_BENCH_TOOLS:-0}" != 1 ] || pkgs+=(wrk)
apt_install "${pkgs[@]}"

# ---- database -----------------------------------------------------------------------------------
if [ "${PLACEMENT_RESET:-0}" = 1 ]; then
  if pid="$(mariadb_pid)"; then die "mariadbd of $state_dir runs (pid $pid): stop-upstream-placement.sh first"; fi
  rm -rf "$my_data" "$sqlite_file" "$sqlite_file-wal" "$sqlite_file-shm" "$sync_stamp"
fi
printf '%s\n' "$backend" > "$backend_file"

if [ "$backend" = mariadb ]; then
  [ "${#my_sock}" -le 100 ] || die "state dir path too long for a Unix socket: $state_dir"
  if [ ! -d "$my_data/mysql" ]; then
    rm -rf "$my_data" "$sync_stamp"
    log "mariadb-install-db $my_data"
    mariadb-install-db --no-defaults --datadir="$my_data" --user=root \
      --auth-root-authentication-method=normal --skip-test-db >"$state_dir/mariadb-install.log" 2>&1 \
      || { cat "$state_dir/mariadb-install.log" >&2; die "mariadb-install-db failed"; }
  fi
  if ! mariadb_pid >/dev/null; then
    rm -f "$my_pid_file" "$my_sock"
    # Unix socket only (no TCP port); MariaDB's defaults otherwise. mariadbd does not fork: run it
    # in its own session, detached from this script.
    setsid /usr/sbin/mariadbd --no-defaults --datadir="$my_data" --socket="$my_sock" \
      --pid-file="$my_pid_file" --log-error="$state_dir/mariadb.log" --skip-networking \
      --user=root </dev/null >/dev/null 2>&1 &
    my_started=$!
    deadline=$((SECONDS + 60))
    until sql 'SELECT 1' >/dev/null 2>&1; do
      if [ "$SECONDS" -ge "$deadline" ] || ! svc_alive "$my_started"; then
        tail -n 20 "$state_dir/mariadb.log" >&2 || true
        die "MariaDB did not answer within 60 s"
      fi
      sleep 0.05
    done
  fi
  if [ -z "$(sql "SHOW DATABASES LIKE 'placement'")" ]; then
    sql 'CREATE DATABASE placement CHARACTER SET utf8'
    rm -f "$sync_stamp"
  fi
  connection="mysql+pymysql://root@localhost/placement?unix_socket=$my_sock"
else
  connection="sqlite:///$sqlite_file"
fi

mkdir -p "$etc_dir"
cat > "$etc_dir/placement.conf" <<EOF
[DEFAULT]
debug = false

[api]
auth_strategy = noauth2

[placement_database]
connection = $connection
EOF

pkg_version="$(dpkg-query -W -f='${Version}' python3-placement)"
if [ "$(cat "$sync_stamp" 2>/dev/null)" != "$backend $pkg_version" ]; then
  log "placement-manage db sync ($backend)"
  (cd "$state_dir" && placement-manage --config-file "$etc_dir/placement.conf" db sync) >&2
  if [ "$backend" = sqlite ]; then
    # WAL: readers do not wait for the writer (it does not make concurrent writers work).
    /usr/bin/python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")' "$sqlite_file"
  fi
  printf '%s\n' "$backend $pkg_version" > "$sync_stamp"
fi

# ---- uwsgi --------------------------------------------------------------------------------------
cat > "$etc_dir/uwsgi.ini" <<EOF
[uwsgi]
plugins = python3
http-socket = 127.0.0.1:$port
master = true
processes = $processes
threads = $threads
enable-threads = true
lazy-apps = true
thunder-lock = true
need-app = true
die-on-term = true
no-orphans = true
# Python's finalizer segfaults in greenlet when a worker exits; skip it.
skip-atexit-teardown = true
worker-reload-mercy = 5
reload-mercy = 5
# uwsgi's http-socket closes the connection after each response but answers HTTP/1.1 without
# saying so: python-requests (so the openstack CLI) reuses the connection and its next request
# fails with "Connection reset by peer" (Node's fetch copes). Debian's ini has this line too.
add-header = Connection: close
# From Debian's placement-api-uwsgi.ini: Placement needs chunked input handling.
buffer-size = 65535
http-auto-chunked = true
http-chunked-input = true
http-raw-body = true
wsgi-manage-chunked-input = true
socket-timeout = 10
listen = 100
# uwsgi's own per-request log line (Placement still logs each request once).
disable-logging = true
wsgi-file = /usr/bin/placement-api
env = OS_PLACEMENT_CONFIG_DIR=$etc_dir
chdir = $state_dir
pidfile = $pid_file
EOF

printf '%s\n' "$port" > "$port_file"
log "starting uwsgi on $url ($processes processes x $threads threads, $backend), log $log_file"
# shellcheck disable=SC2094  # --daemonize2 only names the log uwsgi appends to after forking
if ! uwsgi --ini "$etc_dir/uwsgi.ini" --daemonize2 "$log_file" >>"$log_file" 2>&1; then
  tail -n 20 "$log_file" >&2 || true
  die "uwsgi did not start"
fi

deadline=$((SECONDS + 60))
until answers; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    tail -n 40 "$log_file" >&2 || true
    die "no answer on $url/ after 60 s"
  fi
  if [ -s "$pid_file" ] && ! our_pid >/dev/null; then
    tail -n 40 "$log_file" >&2 || true
    die "uwsgi exited during start"
  fi
  sleep 0.1
done
log "ready (pid $(cat "$pid_file"))"
printf '%s\n' "$url"
