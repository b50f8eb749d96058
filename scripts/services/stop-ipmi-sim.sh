#!/usr/bin/env bash
# Stops every ipmi_sim that start-ipmi-sim.sh started under DIR (DIR/<port>/ipmi_sim.pid), only
# after checking that the pid runs that instance's config: SIGTERM, then SIGKILL after 5 s.
# Leaves config and state (SEL, users) in place; safe to run again.
#
#   stop-ipmi-sim.sh DIR [PORT]      (PORT: stop only that instance)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 1 ] || { echo "usage: stop-ipmi-sim.sh DIR [PORT]" >&2; exit 1; }
dir="$1"
[ -d "$dir" ] || exit 0
dir="$(cd "$dir" && pwd -P)"

pids=()
for pidfile in "$dir"/${2:-[0-9]*}/ipmi_sim.pid; do
  [ -s "$pidfile" ] || continue
  idir="$(dirname "$pidfile")"
  if pid="$(svc_pid "$pidfile" "$idir/lan.conf")"; then
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
  fi
  rm -f "$pidfile"
done
if ! svc_wait_gone 5 0.05 "${pids[@]}"; then
  # shellcheck disable=SC2086  # SVC_LEFT: pids, space-separated
  kill -KILL $SVC_LEFT 2>/dev/null || true
  svc_wait_gone 5 0.05 "${pids[@]}" || { echo "[ipmi-sim] could not stop: $SVC_LEFT" >&2; exit 1; }
fi
[ "${#pids[@]}" -eq 0 ] || printf '[ipmi-sim] stopped %d BMC(s) in %s\n' "${#pids[@]}" "$dir" >&2
