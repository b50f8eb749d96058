#!/usr/bin/env bash
# Stops the peer libvirtd and its virtlogd that start-libvirtd-peer.sh started (by their pid files
# only), after destroying any guest still running on it, and removes its private state. Idempotent.
set -uo pipefail
base="${TSTACK_LIBVIRT_PEER_DIR:-/run/tstack-libvirt-peer}"
uri="qemu+unix:///system?socket=$base/sock/libvirt-sock"

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -d "$base" ] || exit 0
# Guests of the peer would outlive its daemon (QEMU keeps running): end them first.
if [ -f "$base/libvirtd.pid" ]; then
  for dom in $(timeout 10 virsh -q -c "$uri" list --name 2>/dev/null); do
    timeout 20 virsh -q -c "$uri" destroy "$dom" >/dev/null 2>&1 || true
  done
fi
svc_stop_pidfile "$base/libvirtd.pid" libvirtd
svc_stop_pidfile "$base/virtlogd.pid" virtlogd
[ -f "$base/host-uuid" ] && rm -rf "$base"
exit 0
