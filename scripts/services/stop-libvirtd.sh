#!/usr/bin/env bash
# Stops the libvirtd and virtlogd that start-libvirtd.sh started (by their pid files only).
# Idempotent: nothing recorded, nothing stopped. Guests still running are left to libvirtd's own
# shutdown handling (libvirtd keeps QEMU processes running across its restarts).
set -uo pipefail
state="${TSTACK_LIBVIRT_STATE:-/run/tstack-libvirt}"

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

stop_pidfile "$state/libvirtd.pid"
stop_pidfile "$state/virtlogd.pid"
exit 0
