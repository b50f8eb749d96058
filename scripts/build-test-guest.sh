#!/usr/bin/env bash
# Builds the tiny test guest offline from Debian packages into OUTDIR (cached: a second call with
# the files present does nothing):
#   OUTDIR/vmlinuz        the Debian cloud kernel (linux-image-*-cloud-amd64, unpacked with dpkg -x)
#   OUTDIR/initrd.img     a busybox-static initramfs whose init prints the marker below to the
#                         serial console, then powers off when the ACPI power button is pressed
#   OUTDIR/marker         the marker text
# The .debs come from apt's cache when there, else `apt-get download` (no install).
#
#   bash scripts/build-test-guest.sh OUTDIR
set -euo pipefail
out="${1:?usage: build-test-guest.sh OUTDIR}"
marker="TSTACK-GUEST-READY"
# Bump when the guest's contents change, so cached copies are rebuilt.
version=2
mkdir -p "$out"
out="$(cd "$out" && pwd)"
if [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.img" ] && [ "$(cat "$out/marker" 2>/dev/null)" = "$marker" ] \
  && [ "$(cat "$out/version" 2>/dev/null)" = "$version" ]; then
  echo "$out"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/tstack-guest-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cache=/var/cache/apt/archives

# The versioned image package behind the linux-image-cloud-amd64 meta package.
find_deb() { { ls -1 "$cache"/$1 2>/dev/null || true; } | sort -V | tail -1; }
# `apt-get download` with retries; refreshes apt's lists once if they are missing or stale.
download() {
  local try
  for try in 1 2 3 4; do
    (cd "$work" && apt-get download -o DPkg::Lock::Timeout=120 "$1" >/dev/null 2>&1) && return 0
    [ "$try" -eq 1 ] && apt-get update -qq -o DPkg::Lock::Timeout=120 >/dev/null 2>&1 || true
    sleep $((try * 3))
  done
  echo "build-test-guest: could not download $1" >&2
  return 1
}
kdeb="$(find_deb 'linux-image-[0-9]*-cloud-amd64_*.deb')"
if [ -z "$kdeb" ]; then
  download linux-image-cloud-amd64
  dep="$(dpkg-deb -f "$work"/linux-image-cloud-amd64_*.deb Depends | tr ',' '\n' | grep -o 'linux-image-[0-9][^ ]*-cloud-amd64' | head -1)"
  download "$dep"
  kdeb="$(ls -1 "$work"/linux-image-[0-9]*-cloud-amd64_*.deb | head -1)"
fi
bdeb="$(find_deb 'busybox-static_*.deb')"
if [ -z "$bdeb" ]; then
  download busybox-static
  bdeb="$(ls -1 "$work"/busybox-static_*.deb | head -1)"
fi

dpkg -x "$kdeb" "$work/k"
dpkg -x "$bdeb" "$work/b"
kver="$(ls "$work/k/lib/modules" | head -1)"

root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys,mod}
cp "$work/b/bin/busybox" "$root/bin/busybox"
# Modules, in load order: the power button (ACPI shutdown), virtio PCI + balloon (setmem) + blk
# (hot-plugged disks are seen by the guest).
mods="drivers/input/evdev.ko drivers/acpi/button.ko drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko
  drivers/virtio/virtio_pci_legacy_dev.ko drivers/virtio/virtio_pci_modern_dev.ko drivers/virtio/virtio_pci.ko
  drivers/virtio/virtio_balloon.ko drivers/block/virtio_blk.ko"
for m in $mods; do
  cp "$work/k/lib/modules/$kver/kernel/$m" "$root/mod/" 2>/dev/null || true
done
modlist="$(for x in $mods; do printf '%s ' "$(basename "$x")"; done)"
cat > "$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
for m in $modlist; do insmod /mod/\$m 2>/dev/null; done
sleep 0.2
# Any input event (the ACPI power button is the only input device pressed here) powers off.
for e in /dev/input/event*; do
  [ -e "\$e" ] && ( dd if="\$e" of=/dev/null bs=24 count=1 2>/dev/null; echo "tstack-guest: power button"; poweroff -f ) &
done
echo "$marker"
while true; do sleep 3600; done
INIT
chmod 0755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$work/initrd.img"
cp "$work/k/boot/vmlinuz-$kver" "$work/vmlinuz"
chmod 0644 "$work/vmlinuz" "$work/initrd.img"
mv "$work/vmlinuz" "$out/vmlinuz"
mv "$work/initrd.img" "$out/initrd.img"
echo "$marker" > "$out/marker"
echo "$version" > "$out/version"
echo "$out"
