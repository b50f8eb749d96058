#!/usr/bin/env bash
# Stops the peer libvirtd and its virtlogd that start-libvirtd-peer.sh started (by their pid files
# only), after destroying any guest still running on it, and removes its private state. Idempotent.
set -uo pipefail
base="${TSTACK_LIBVIRT_PEER_DIR:-/run/tstack-libvirt-peer}"
uri="qemu+unix:///system?socket=$base/sock/libvirt-sock"

stop_pidfile() {
  local file="$1" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file" 2>/dev/null || true)"
  if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      [ -d "/proc/$pid" ] || break
      grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null && break
      sleep 0.1
    done
    if [ -d "/proc/$pid" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

[ -d "$base" ] || exit 0
# Guests of the peer would outlive its daemon (QEMU keeps running): end them first.
if [ -f "$base/libvirtd.pid" ]; then
  for dom in $(timeout 10 virsh -q -c "$uri" list --name 2>/dev/null); do
    timeout 20 virsh -q -c "$uri" destroy "$dom" >/dev/null 2>&1 || true
  done
fi
stop_pidfile "$base/libvirtd.pid"
stop_pidfile "$base/virtlogd.pid"
[ -f "$base/host-uuid" ] && rm -rf "$base"
exit 0
