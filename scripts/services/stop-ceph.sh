#!/usr/bin/env bash
# Stops the cluster that start-ceph.sh started in DIR: the OSD, then the monitor, by the pid files
# in DIR/run (each checked to be a ceph daemon using DIR's ceph.conf). SIGTERM, SIGKILL after 10 s;
# zombies count as stopped (PID 1 here reaps slowly). Leaves DIR in place; safe to run again.
#
#   stop-ceph.sh DIR
set -euo pipefail

dir="${1:?usage: stop-ceph.sh DIR}"
log() { printf '[ceph] %s\n' "$*" >&2; }
[ -d "$dir" ] || exit 0
dir="$(cd "$dir" && pwd -P)"
conf="$dir/ceph.conf"

alive() {
  local st
  st="$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)" || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# stop NAME: signal the daemon in run/NAME.pid when it is ours, then wait until gone.
stop() {
  local name="$1" pidfile="$dir/run/$1.pid" pid="" deadline killed=0
  [ -s "$pidfile" ] && pid="$(tr -dc 0-9 < "$pidfile")"
  if [ -z "$pid" ] || ! alive "$pid"; then rm -f "$pidfile"; return 0; fi
  if ! tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$conf"; then
    log "pid $pid is not $dir's $name; stale pid file removed"
    rm -f "$pidfile"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 10))
  while alive "$pid"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      [ "$killed" -eq 0 ] || { log "could not stop $name ($pid)"; return 1; }
      log "$name ($pid) still alive after 10 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      killed=1
      deadline=$((SECONDS + 5))
    fi
    sleep 0.02
  done
  rm -f "$pidfile"
  log "$name stopped (pid $pid)"
}

stop osd.0
stop mon.a
