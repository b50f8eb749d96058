#!/usr/bin/env bash
# Stops the upstream Placement server that start-upstream-placement.sh started for STATE_DIR.
#
#   stop-upstream-placement.sh [STATE_DIR]      (default /tmp/tstack-upstream-placement)
#
# Kills only the uwsgi master named in STATE_DIR/uwsgi.pid (after checking that it runs this state
# dir's ini) and its workers, SIGTERM first, SIGKILL after 10 s. Zombies count as stopped (PID 1
# here reaps slowly). Keeps the config and the database; safe to run again.
set -euo pipefail

state_dir="${1:-/tmp/tstack-upstream-placement}"
log() { printf '[upstream-placement] %s\n' "$*" >&2; }

[ -d "$state_dir" ] || { log "not running (no $state_dir)"; exit 0; }
state_dir="$(cd "$state_dir" && pwd -P)"
pid_file="$state_dir/uwsgi.pid"
ini="$state_dir/etc/uwsgi.ini"

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

pid=""
[ -s "$pid_file" ] && pid="$(tr -dc 0-9 < "$pid_file")"
if [ -z "$pid" ] || ! alive "$pid"; then
  rm -f "$pid_file"
  log "not running"
  exit 0
fi
if ! tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$ini"; then
  rm -f "$pid_file"
  log "pid $pid is not this state dir's uwsgi; stale pidfile removed"
  exit 0
fi

workers="$(children_of "$pid" | tr '\n' ' ')"
kill -TERM "$pid" 2>/dev/null || true
deadline=$((SECONDS + 10))
killed=0
while :; do
  left=""
  for p in $pid $workers; do alive "$p" && left="$left $p"; done
  [ -z "$left" ] && break
  if [ "$SECONDS" -ge "$deadline" ]; then
    [ "$killed" -eq 0 ] || { log "could not stop:$left"; exit 1; }
    log "still alive after 10 s:$left; SIGKILL"
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
    killed=1
    deadline=$((SECONDS + 5))
  fi
  sleep 0.05
done
rm -f "$pid_file"
log "stopped (pid $pid)"
