#!/usr/bin/env bash
# Starts upstream OpenStack Placement 8.0 (Debian 12's python3-placement) on 127.0.0.1, with no
# Keystone, as a comparison baseline and a reference server. Prints its base URL on stdout
# (everything else goes to stderr).
#
#   start-upstream-placement.sh [STATE_DIR] [PORT]
#     STATE_DIR  default /tmp/tstack-upstream-placement (config, SQLite DB, pidfile, log)
#     PORT       default 28778 (outside the kernel's ephemeral range 32768-60999 here)
#
# Environment:
#   PLACEMENT_PROCESSES  uwsgi worker processes (default 2)
#   PLACEMENT_THREADS    threads per worker (default 4)
#   PLACEMENT_RESET=1    drop the database (only when the server is not running) and start empty
#
# Sizing: 2 processes x 4 threads for a 2-core machine. Placement's request handling is mostly
# Python (GIL-bound) plus SQLite work, so one process per core gives the parallelism and a few
# threads per process cover the time spent waiting on the database and the client. Upstream's
# packaged uwsgi ini (8 x 32) is sized for a big control node.
#
# Server: uwsgi (uwsgi-core + uwsgi-plugin-python3) serving /usr/bin/placement-api over plain
# HTTP, with the chunked-input options of Debian's placement-api-uwsgi.ini. Debian's
# `placement-api`/`placement-common` packages are not used: they only add an init script, a
# system user and dbconfig-common prompts.
# Database: a SQLite file (`sqlite:////abs/path`); Placement 8.0 accepts it (its own functional
# tests run on SQLite) and `placement-manage db sync` builds the schema. It is switched to WAL
# journal mode once, after the sync, so that readers do not block on the writer.
# Auth: `[api] auth_strategy = noauth2`: every request but `GET /` needs an `X-Auth-Token`
# header; token `admin` is an admin (any other token is a user with no role and gets 403).
#
# Safe to run again: when the server of this state dir is already up on PORT it just prints the URL.
set -euo pipefail

state_dir="${1:-/tmp/tstack-upstream-placement}"
port="${2:-28778}"
processes="${PLACEMENT_PROCESSES:-2}"
threads="${PLACEMENT_THREADS:-4}"

log() { printf '[upstream-placement] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

case "$port" in ''|*[!0-9]*) die "bad port: $port" ;; esac
if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
  read -r eph_lo eph_hi < /proc/sys/net/ipv4/ip_local_port_range
  if [ "$port" -ge "$eph_lo" ] && [ "$port" -le "$eph_hi" ]; then
    log "warning: port $port is inside the ephemeral range $eph_lo-$eph_hi; a client may hold it"
  fi
fi

mkdir -p "$state_dir"
state_dir="$(cd "$state_dir" && pwd -P)"
etc_dir="$state_dir/etc"
db_file="$state_dir/placement.sqlite"
pid_file="$state_dir/uwsgi.pid"
log_file="$state_dir/uwsgi.log"
port_file="$state_dir/port"
sync_stamp="$state_dir/db-synced"
url="http://127.0.0.1:$port"

# ---- packages (same retry/lock pattern as scripts/install-deps.sh) ------------------------------
apt_updated=0
apt_install() {
  local missing=() pkg try
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  [ "$(id -u)" -eq 0 ] || die "need root to install: ${missing[*]}"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  for try in 1 2 3 4 5 6; do
    if [ "$apt_updated" -eq 0 ]; then
      apt-get update -qq -o DPkg::Lock::Timeout=120 >&2 && apt_updated=1 || { sleep $((try * 5)); continue; }
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
# Alive = exists and is not a zombie (PID 1 here reaps slowly).
alive() {
  local st
  st="$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)" || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}
# The pid in our pidfile, if it is a live uwsgi that runs our ini.
our_pid() {
  local pid
  [ -s "$pid_file" ] || return 1
  pid="$(tr -dc 0-9 < "$pid_file")"
  [ -n "$pid" ] && alive "$pid" || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$etc_dir/uwsgi.ini" || return 1
  printf '%s\n' "$pid"
}
answers() {
  curl -sf --max-time 2 "$url/" 2>/dev/null | grep -q '"max_version"'
}

# ---- already running? ---------------------------------------------------------------------------
if pid="$(our_pid)"; then
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

apt_install python3-placement uwsgi-core uwsgi-plugin-python3 curl

# ---- configuration ------------------------------------------------------------------------------
mkdir -p "$etc_dir"
cat > "$etc_dir/placement.conf" <<EOF
[DEFAULT]
debug = false

[api]
auth_strategy = noauth2

[placement_database]
connection = sqlite:///$db_file
EOF

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
# Python's finalizer crashes in greenlet when a worker exits; skip it.
skip-atexit-teardown = true
worker-reload-mercy = 5
reload-mercy = 5
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

# ---- database -----------------------------------------------------------------------------------
if [ "${PLACEMENT_RESET:-0}" = 1 ]; then
  rm -f "$db_file" "$db_file-wal" "$db_file-shm" "$sync_stamp"
fi
pkg_version="$(dpkg-query -W -f='${Version}' python3-placement)"
if [ ! -s "$db_file" ] || [ "$(cat "$sync_stamp" 2>/dev/null)" != "$pkg_version" ]; then
  log "placement-manage db sync ($db_file)"
  (cd "$state_dir" && placement-manage --config-file "$etc_dir/placement.conf" db sync) >&2
  /usr/bin/python3 - "$db_file" <<'EOF' >/dev/null
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute('PRAGMA journal_mode=WAL').fetchone())
c.close()
EOF
  printf '%s\n' "$pkg_version" > "$sync_stamp"
fi

# ---- start and wait until it answers ------------------------------------------------------------
printf '%s\n' "$port" > "$port_file"
log "starting uwsgi on $url ($processes processes x $threads threads), log $log_file"
uwsgi --ini "$etc_dir/uwsgi.ini" --daemonize2 "$log_file" >&2

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
