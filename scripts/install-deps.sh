#!/usr/bin/env bash
# Installs what tstack-host needs on Debian 12, as root.
#   install-deps.sh runtime   what the library and `tstack-host demo` need
#   install-deps.sh test      that, plus every system package and service the test suite uses
# Safe to run again. Never starts a distro service (policy-rc.d), never fetches anything but
# Debian packages.
set -euo pipefail
mode="${1:-test}"

log() { printf '[install-deps] %s\n' "$*"; }

need_node() {
  if ! command -v node >/dev/null 2>&1; then
    log "Node.js 20 or newer is required (Debian 12's nodejs is 18): install Node.js 20 first."
    exit 1
  fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -lt 20 ]; then
    log "Node.js $(node --version) found; 20 or newer is required."
    exit 1
  fi
}

apt_updated=0
apt_install() {
  [ "$#" -gt 0 ] || return 0
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "need root to install: ${missing[*]}"
    exit 1
  fi
  # Installing a daemon's package must not start the distro's copy of it.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  local try
  for try in 1 2 3 4 5 6; do
    if [ "$apt_updated" -eq 0 ]; then
      apt-get update -qq -o DPkg::Lock::Timeout=120 && apt_updated=1 || { sleep $((try * 5)); continue; }
    fi
    if apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=120 "${missing[@]}"; then
      log "installed: ${missing[*]}"
      return 0
    fi
    log "apt-get install failed (try $try), retrying"
    sleep $((try * 5))
  done
  log "could not install: ${missing[*]}"
  exit 1
}

need_node
case "$mode" in
  runtime)
    ;;
  test)
    # Compilers and headers for the Node-API addon (native/): libvirt, librados, librbd.
    apt_install build-essential pkg-config libvirt-dev librados-dev libradospp-dev librbd-dev
    # libvirt + QEMU (TCG guests); the -sysv package keeps apt from pulling in systemd.
    apt_install libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-system \
      libvirt-daemon-system-sysv libvirt-clients qemu-system-x86 qemu-utils python3-libvirt
    # The tiny test guest is built offline from Debian packages (kernel downloaded, busybox unpacked).
    apt_install busybox-static cpio
    # Ceph: one monitor and one memstore OSD on loopback; the rados/rbd tools and Python bindings.
    apt_install ceph-mon ceph-osd ceph-common python3-rados python3-rbd
    # Open vSwitch, userspace datapath; Neutron's Python OVSDB client as the comparison.
    apt_install openvswitch-switch python3-ovsdbapp
    # IPMI: OpenIPMI's BMC simulator, ipmitool and pyghmi as the comparisons.
    apt_install openipmi ipmitool python3-pyghmi
    # The standard trait and resource class lists, to check the committed copy against Debian's.
    apt_install python3 python3-os-traits python3-os-resource-classes
    # The openstack CLI with osc-placement drives the Placement API in the integration tests.
    apt_install python3-openstackclient python3-osc-placement
    ;;
  *)
    log "usage: install-deps.sh runtime|test"
    exit 2
    ;;
esac
log "done ($mode)"
