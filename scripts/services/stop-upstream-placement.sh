#!/usr/bin/env bash
# Stops the upstream Placement server that start-upstream-placement.sh started for STATE_DIR, and
# its private MariaDB server.
#
#   stop-upstream-placement.sh [STATE_DIR]      (default /tmp/tstack-upstream-placement)
#
# Kills only the uwsgi master named in STATE_DIR/uwsgi.pid (after checking that it runs this state
# dir's ini) and its workers: SIGTERM, then SIGKILL after 10 s. Zombies count as stopped (PID 1
# here reaps slowly). Then the same for the mariadbd named in STATE_DIR/mysqld.pid (checked to
# run this state dir's datadir; SIGTERM is its clean shutdown; SIGKILL only after 60 s). Keeps config and data; safe to
# run again.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

state_dir="${1:-/tmp/tstack-upstream-placement}"
log() { printf '[upstream-placement] %s\n' "$*" >&2; }

[ -d "$state_dir" ] || { log "not running (no $state_dir)"; exit 0; }
state_dir="$(cd "$state_dir" && pwd -P)"
pid_file="$state_dir/uwsgi.pid"
ini="$state_dir/etc/uwsgi.ini"
my_data="$state_dir/mysql"
my_pid_file="$state_dir/mysqld.pid"

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

# stop NAME PIDFILE CMDLINE_MARK GRACE: SIGTERM the pid in PIDFILE (if it is alive and its command
# line contains CMDLINE_MARK) and its children, wait (zombies count as gone), SIGKILL after GRACE s.
stop() {
  local name="$1" pidfile="$2" mark="$3" grace="$4" pid children
  if ! pid="$(svc_pid "$pidfile")"; then
    rm -f "$pidfile"
    return 0
  fi
  if ! svc_runs "$pid" "$mark"; then
    rm -f "$pidfile"
    log "pid $pid is not this state dir's $name; stale pidfile removed"
    return 0
  fi
  children="$(children_of "$pid" | tr '\n' ' ')"
  kill -TERM "$pid" 2>/dev/null || true
  # shellcheck disable=SC2086  # $children and SVC_LEFT: pids, space-separated
  if ! svc_wait_gone "$grace" 0.05 "$pid" $children; then
    log "$name still alive after $grace s: $SVC_LEFT; SIGKILL"
    kill -KILL $SVC_LEFT 2>/dev/null || true
    svc_wait_gone 5 0.05 "$pid" $children || { log "could not stop $name: $SVC_LEFT"; return 1; }
  fi
  rm -f "$pidfile"
  log "$name stopped (pid $pid)"
}

stop uwsgi "$pid_file" "$ini" 10
stop mariadbd "$my_pid_file" "--datadir=$my_data" 60
