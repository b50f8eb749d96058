#!/usr/bin/env bash
# Stops the cluster that start-ceph.sh started in DIR: the OSD, then the monitor, by the pid files
# in DIR/run (each checked to be a ceph daemon using DIR's ceph.conf). SIGTERM, SIGKILL after 10 s;
# zombies count as stopped (PID 1 here reaps slowly). Leaves DIR in place; safe to run again.
#
#   stop-ceph.sh DIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="${1:?usage: stop-ceph.sh DIR}"
log() { printf '[ceph] %s\n' "$*" >&2; }
[ -d "$dir" ] || exit 0
dir="$(cd "$dir" && pwd -P)"
conf="$dir/ceph.conf"

# stop NAME: signal the daemon in run/NAME.pid when it is ours, then wait until gone.
stop() {
  local name="$1" pidfile="$dir/run/$1.pid" pid
  if ! pid="$(svc_pid "$pidfile")"; then rm -f "$pidfile"; return 0; fi
  if ! svc_runs "$pid" "$conf"; then
    log "pid $pid is not $dir's $name; stale pid file removed"
    rm -f "$pidfile"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  if ! svc_wait_gone 10 0.02 "$pid"; then
    log "$name ($pid) still alive after 10 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    svc_wait_gone 5 0.02 "$pid" || { log "could not stop $name ($pid)"; return 1; }
  fi
  rm -f "$pidfile"
  log "$name stopped (pid $pid)"
}

stop osd.0
stop mon.a
