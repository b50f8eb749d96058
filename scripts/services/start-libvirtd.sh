#!/usr/bin/env bash
# Starts virtlogd and libvirtd (qemu:///system) for the tests, benches and demo, unless a libvirtd
# already answers. Idempotent: a second call finds the daemon answering and does nothing.
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
alive() { svc_pid "$1" >/dev/null; } # pid file -> running (zombies count as gone)

if answers; then
  echo "$uri"
  exit 0
fi
command -v libvirtd >/dev/null || { echo "libvirtd missing: apt-get install libvirt-daemon-system libvirt-daemon-system-sysv libvirt-daemon-driver-qemu qemu-system-x86" >&2; exit 1; }

if [ -e /dev/kvm ]; then
  chgrp kvm /dev/kvm 2>/dev/null || true
  chmod 0660 /dev/kvm 2>/dev/null || true
fi
mkdir -p /run/libvirt

# virtlogd: QEMU's console and log files go through it.
if ! alive "$state/virtlogd.pid" && ! [ -S /run/libvirt/virtlogd-sock ]; then
  virtlogd -d -p "$state/virtlogd.pid"
elif [ -S /run/libvirt/virtlogd-sock ] && ! alive "$state/virtlogd.pid"; then
  : # someone else's virtlogd: use it, never stop it
fi

if ! alive "$state/libvirtd.pid"; then
  rm -f "$state/libvirtd.pid"
  libvirtd -d -p "$state/libvirtd.pid"
fi

# Ready when it answers (the first start probes QEMU for ~12 s).
for _ in $(seq 1 240); do
  if answers; then
    echo "$uri"
    exit 0
  fi
  sleep 0.25
done
echo "libvirtd did not answer on $uri within 60 s" >&2
exit 1
