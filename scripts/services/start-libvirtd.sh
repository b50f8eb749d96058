#!/usr/bin/env bash
# Starts virtlogd and libvirtd (qemu:///system) for the tests, benches and demo: each unless one
# already serves (libvirtd answers; something listens on virtlogd's socket). Idempotent: a second
# call finds both serving and does nothing.
# Only what this script starts is recorded in $TSTACK_LIBVIRT_STATE (pid files), and only that is
# stopped by stop-libvirtd.sh.
#
#   bash scripts/services/start-libvirtd.sh      prints the connection URI on success
#
# Facts from ../shared/RECIPES.md: /dev/kvm must be group kvm 0660 before libvirtd starts (else it
# re-probes QEMU on nearly every call); the first start probes QEMU (~12 s).
set -euo pipefail
uri="qemu:///system"
state="${TSTACK_LIBVIRT_STATE:-/run/tstack-libvirt}"
mkdir -p "$state"

answers() { timeout 10 virsh -q -c "$uri" version >/dev/null 2>&1; }
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# alive PIDFILE NAME: the pid file names a running NAME (a dead one's pid may have been reused).
alive() { svc_pid "$1" "$2" >/dev/null; }

# listening SOCK: something accepts connections on the unix socket SOCK. A socket file outlives a
# daemon that was killed (or a machine image taken while it ran): its presence proves nothing.
listening() {
  node -e 'require("node:net").connect(process.argv[1]).on("connect", () => process.exit(0)).on("error", () => process.exit(1))' "$1" 2>/dev/null
}

# virtlogd: QEMU's console and log files go through it, so a libvirtd that answers without it still
# cannot start a guest ("Failed to connect socket to '/run/libvirt/virtlogd-sock'").
ensure_virtlogd() {
  local sock=/run/libvirt/virtlogd-sock
  alive "$state/virtlogd.pid" virtlogd && return 0
  listening "$sock" && return 0 # someone else's virtlogd: use it, never stop it
  mkdir -p /run/libvirt
  rm -f "$sock" /run/libvirt/virtlogd-admin-sock
  virtlogd -d -p "$state/virtlogd.pid"
  svc_wait_for 10 0.1 listening "$sock" || { echo "virtlogd did not listen on $sock within 10 s" >&2; exit 1; }
}

if answers; then
  ensure_virtlogd
  echo "$uri"
  exit 0
fi
command -v libvirtd >/dev/null || { echo "libvirtd missing: apt-get install libvirt-daemon-system libvirt-daemon-system-sysv libvirt-daemon-driver-qemu qemu-system-x86" >&2; exit 1; }

if [ -e /dev/kvm ]; then
  chgrp kvm /dev/kvm 2>/dev/null || true
  chmod 0660 /dev/kvm 2>/dev/null || true
fi
ensure_virtlogd

if ! alive "$state/libvirtd.pid" libvirtd; then
  rm -f "$state/libvirtd.pid"
  libvirtd -d -p "$state/libvirtd.pid"
fi

# Ready when it answers (the first start probes QEMU for ~12 s).
svc_wait_for 60 0.25 answers || { echo "libvirtd did not answer on $uri within 60 s" >&2; exit 1; }
echo "$uri"
