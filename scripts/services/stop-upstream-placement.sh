#!/usr/bin/env bash
# Stops the upstream Placement server that start-upstream-placement.sh started for STATE_DIR, and
# its private PostgreSQL cluster.
#
#   stop-upstream-placement.sh [STATE_DIR]      (default /tmp/tstack-upstream-placement)
#
# Kills only the uwsgi master named in STATE_DIR/uwsgi.pid (after checking that it runs this state
# dir's ini) and its workers: SIGTERM, then SIGKILL after 10 s. Zombies count as stopped (PID 1
# here reaps slowly). PostgreSQL is stopped with `pg_ctl stop -m fast` on STATE_DIR/pgdata (its
# own pidfile, postmaster.pid). Keeps config and data; safe to run again.
set -euo pipefail

state_dir="${1:-/tmp/tstack-upstream-placement}"
pg_bin=/usr/lib/postgresql/15/bin
log() { printf '[upstream-placement] %s\n' "$*" >&2; }

[ -d "$state_dir" ] || { log "not running (no $state_dir)"; exit 0; }
state_dir="$(cd "$state_dir" && pwd -P)"
pid_file="$state_dir/uwsgi.pid"
ini="$state_dir/etc/uwsgi.ini"
pg_data="$state_dir/pgdata"

alive() {
  local st
  st="$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)" || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}
# Pids whose parent is $1 (from /proc/PID/stat: "pid (comm) state ppid ...").
children_of() {
  local f line rest
  for f in /proc/[0-9]*/stat; do
    { read -r line < "$f"; } 2>/dev/null || continue
    rest="${line##*) }"
    rest="${rest#* }"
    if [ "${rest%% *}" = "$1" ]; then f="${f#/proc/}"; printf '%s\n' "${f%/stat}"; fi
  done
}

stop_uwsgi() {
  local pid="" workers left p killed=0 deadline
  [ -s "$pid_file" ] && pid="$(tr -dc 0-9 < "$pid_file")"
  if [ -z "$pid" ] || ! alive "$pid"; then
    rm -f "$pid_file"
    log "uwsgi not running"
    return 0
  fi
  if ! tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$ini"; then
    rm -f "$pid_file"
    log "pid $pid is not this state dir's uwsgi; stale pidfile removed"
    return 0
  fi
  workers="$(children_of "$pid" | tr '\n' ' ')"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 10))
  while :; do
    left=""
    for p in $pid $workers; do alive "$p" && left="$left $p"; done
    [ -z "$left" ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      [ "$killed" -eq 0 ] || { log "could not stop:$left"; return 1; }
      log "still alive after 10 s:$left; SIGKILL"
      # shellcheck disable=SC2086
      kill -KILL $left 2>/dev/null || true
      killed=1
      deadline=$((SECONDS + 5))
    fi
    sleep 0.05
  done
  rm -f "$pid_file"
  log "uwsgi stopped (pid $pid)"
}

stop_postgres() {
  [ -f "$pg_data/postmaster.pid" ] || return 0
  if (cd / && runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_data" status >/dev/null 2>&1); then
    (cd / && runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w -t 30 stop) >/dev/null
    log "PostgreSQL stopped"
  fi
}

stop_uwsgi
stop_postgres
