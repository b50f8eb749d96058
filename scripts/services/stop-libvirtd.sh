#!/usr/bin/env bash
# Stops the libvirtd and virtlogd that start-libvirtd.sh started (by their pid files only).
# Idempotent: nothing recorded, nothing stopped. Guests still running are left to libvirtd's own
# shutdown handling (libvirtd keeps QEMU processes running across its restarts).
set -uo pipefail
state="${TSTACK_LIBVIRT_STATE:-/run/tstack-libvirt}"

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

svc_stop_pidfile "$state/libvirtd.pid" libvirtd
if svc_pid "$state/virtlogd.pid" virtlogd >/dev/null; then
  svc_stop_pidfile "$state/virtlogd.pid" virtlogd
  # virtlogd leaves its socket files behind when it stops; the next start must not take them for it.
  rm -f /run/libvirt/virtlogd-sock /run/libvirt/virtlogd-admin-sock
else
  rm -f "$state/virtlogd.pid"
fi
exit 0
