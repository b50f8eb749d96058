# Shared by the start-*/stop-* service scripts (sourced, not run): pid files, zombie-aware waits,
# readiness polling and port arguments. Prints nothing: each script keeps its own log lines.
# shellcheck shell=bash

# svc_alive PID: exists and is not a zombie (PID 1 here reaps slowly; a zombie has stopped).
svc_alive() {
  local st
  st="$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)" || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# svc_runs PID MARK: PID's command line contains MARK. A pid file can outlive its daemon and the
# pid be reused by someone else's process: only one whose command line names our files is ours.
svc_runs() {
  tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# svc_pid PIDFILE [MARK]: prints the live pid PIDFILE names; with MARK, only if svc_runs it MARK.
svc_pid() {
  local f="$1" pid
  [ -s "$f" ] || return 1
  pid="$(tr -dc 0-9 < "$f")"
  [ -n "$pid" ] && svc_alive "$pid" || return 1
  [ $# -lt 2 ] || svc_runs "$pid" "$2" || return 1
  printf '%s\n' "$pid"
}

# svc_wait_gone GRACE INTERVAL PID...: polls every INTERVAL s until no PID is alive (zombies count
# as gone). After GRACE s returns 1 with those still alive, space-separated, in SVC_LEFT.
SVC_LEFT=""
svc_wait_gone() {
  local grace="$1" interval="$2" deadline p
  shift 2
  deadline=$((SECONDS + grace))
  while :; do
    SVC_LEFT=""
    for p in "$@"; do
      if svc_alive "$p"; then SVC_LEFT="${SVC_LEFT:+$SVC_LEFT }$p"; fi
    done
    [ -n "$SVC_LEFT" ] || return 0
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep "$interval"
  done
}

# svc_wait_for GRACE INTERVAL COMMAND...: runs COMMAND every INTERVAL s until it succeeds (0) or
# GRACE s have passed (1). Readiness is asked of the daemon, never assumed after a sleep.
svc_wait_for() {
  local grace="$1" interval="$2" deadline
  shift 2
  deadline=$((SECONDS + grace))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep "$interval"
  done
}

# svc_is_port ARG: ARG is a decimal number (the scripts' port arguments).
svc_is_port() {
  case "$1" in ''|*[!0-9]*) return 1 ;; esac
}

# svc_stop_pidfile PIDFILE [MARK]: stops the process PIDFILE names (TERM, then KILL after 10 s) and
# removes the file. Nothing recorded, nothing stopped; with MARK, only a process whose command line
# contains MARK (see svc_runs).
svc_stop_pidfile() {
  local pid
  if pid="$(svc_pid "$@")"; then
    kill -TERM "$pid" 2>/dev/null || true
    svc_wait_gone 10 0.1 "$pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}
