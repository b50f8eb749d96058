#!/usr/bin/env bash
# Starts a second libvirtd on this machine — a "peer host" to migrate the tiny guest to — unless
# it already answers. libvirt refuses to migrate a guest to the host it runs on (it compares the
# host UUIDs of both ends), so the peer gets its own host_uuid, and its own state: in a private
# mount namespace, /etc/libvirt, /run/libvirt, /var/lib/libvirt and /var/log/libvirt are bind
# mounts of directories under $TSTACK_LIBVIRT_PEER_DIR (its own domains, QEMU state, virtlogd).
# Its socket lives outside those mounts, where every process (and the first libvirtd, which opens
# the connection itself in a peer-to-peer migration) reaches it. QEMU's capability cache
# (/var/cache/libvirt) stays shared: the same QEMU, and no second ~12 s probe.
#
#   bash scripts/services/start-libvirtd-peer.sh     prints the peer's URI on success
#
# Only what this script starts is recorded (pid files in $TSTACK_LIBVIRT_PEER_DIR) and only that
# is stopped by stop-libvirtd-peer.sh. Needs root (mount namespaces) and the first libvirtd's
# packages; QEMU in both is the one installed.
set -euo pipefail
base="${TSTACK_LIBVIRT_PEER_DIR:-/run/tstack-libvirt-peer}"
sock="$base/sock/libvirt-sock"
uri="qemu+unix:///system?socket=$sock"

answers() { timeout 10 virsh -q -c "$uri" version >/dev/null 2>&1; }
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# alive PIDFILE NAME: the pid file names a running NAME (a dead one's pid may have been reused).
alive() { svc_pid "$1" "$2" >/dev/null; }

if answers; then
  echo "$uri"
  exit 0
fi
command -v libvirtd >/dev/null || { echo "libvirtd missing: apt-get install libvirt-daemon-system libvirt-daemon-driver-qemu qemu-system-x86" >&2; exit 1; }
command -v unshare >/dev/null || { echo "unshare missing (util-linux)" >&2; exit 1; }

if ! alive "$base/libvirtd.pid" libvirtd; then
  rm -f "$base/libvirtd.pid"
  mkdir -p "$base"/{sock,run,lib/qemu,log/qemu,etc/qemu}
  chown libvirt-qemu:libvirt-qemu "$base/lib/qemu" 2>/dev/null || true
  chmod 0750 "$base/lib/qemu"
  # The system's daemon and driver configuration, none of its domains, networks or secrets.
  for f in /etc/libvirt/*.conf; do cp "$f" "$base/etc/"; done
  [ -f "$base/host-uuid" ] || cat /proc/sys/kernel/random/uuid >"$base/host-uuid"
  {
    echo "unix_sock_dir = \"$base/sock\""
    echo "host_uuid = \"$(cat "$base/host-uuid")\""
  } >>"$base/etc/libvirtd.conf"
  # Two daemons must not fight over one cgroup per guest name: the peer places none.
  echo 'cgroup_controllers = [ ]' >>"$base/etc/qemu.conf"
  # unshare's child exits once both daemons have forked into the background; they keep the
  # namespace (and its mounts) alive, and its mounts never reach the rest of the machine.
  unshare --mount --uts --propagation private -- bash -c '
    set -e
    base="$1"
    mount --bind "$base/etc" /etc/libvirt
    mount --bind "$base/run" /run/libvirt
    mount --bind "$base/lib" /var/lib/libvirt
    mount --bind "$base/log" /var/log/libvirt
    hostname tstack-libvirt-peer
    . "$2/lib.sh"
    # A pid file left by a killed virtlogd can name a reused pid: only a live virtlogd counts.
    svc_pid "$base/virtlogd.pid" virtlogd >/dev/null || virtlogd -d -p "$base/virtlogd.pid"
    libvirtd -d -p "$base/libvirtd.pid"
  ' _ "$base" "$(cd "$(dirname "$0")" && pwd)"
fi

svc_wait_for 60 0.25 answers || { echo "the peer libvirtd did not answer on $uri within 60 s" >&2; exit 1; }
echo "$uri"
