#!/usr/bin/env bash
# Stops every ipmi_sim that start-ipmi-sim.sh started under DIR (DIR/<port>/ipmi_sim.pid), only
# after checking that the pid runs that instance's config: SIGTERM, then SIGKILL after 5 s.
# Leaves config and state (SEL, users) in place; safe to run again.
#
#   stop-ipmi-sim.sh DIR [PORT]      (PORT: stop only that instance)
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: stop-ipmi-sim.sh DIR [PORT]" >&2; exit 1; }
dir="$1"
[ -d "$dir" ] || exit 0
dir="$(cd "$dir" && pwd -P)"

alive() {
  local st
  st="$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)" || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

pids=()
for pidfile in "$dir"/${2:-[0-9]*}/ipmi_sim.pid; do
  [ -s "$pidfile" ] || continue
  idir="$(dirname "$pidfile")"
  pid="$(tr -dc 0-9 < "$pidfile")"
  if [ -n "$pid" ] && alive "$pid" && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$idir/lan.conf"; then
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
  fi
  rm -f "$pidfile"
done
deadline=$((SECONDS + 5))
killed=0
while :; do
  left=()
  for p in "${pids[@]}"; do alive "$p" && left+=("$p"); done
  [ "${#left[@]}" -eq 0 ] && break
  if [ "$SECONDS" -ge "$deadline" ]; then
    [ "$killed" -eq 0 ] || { echo "[ipmi-sim] could not stop: ${left[*]}" >&2; exit 1; }
    kill -KILL "${left[@]}" 2>/dev/null || true
    killed=1
    deadline=$((SECONDS + 5))
  fi
  sleep 0.05
done
[ "${#pids[@]}" -eq 0 ] || printf '[ipmi-sim] stopped %d BMC(s) in %s\n' "${#pids[@]}" "$dir" >&2
