#!/usr/bin/env bash
# Starts a private, throw-away Ceph cluster (Pacific) on 127.0.0.1: one monitor and one memstore OSD
# (objects live in the OSD's memory: no disk, ready in a few seconds), a pool `rbd` initialised for
# RBD. Everything (config, keyrings, data, pid files, logs, admin sockets) lives in DIR, so two
# clusters with different DIRs and ports run side by side.
#
#   start-ceph.sh DIR MON_PORT
#     DIR       the cluster's private directory (created; wiped when it holds no running cluster)
#     MON_PORT  the monitor's msgr2 port; msgr1 is MON_PORT+1; the OSD binds within
#               MON_PORT+2 .. MON_PORT+19. Keep the whole range below the ephemeral range.
#
# On success prints KEY=VALUE lines on stdout (all else goes to stderr):
#   CEPH_CONF=DIR/ceph.conf  KEYRING=DIR/keyring (client.admin)  FSID=...  MON_HOST=...  POOL=rbd
# Ready means: the monitor answers `ceph -s`, the OSD is up and pool `rbd` exists and is initialised.
# Stop with stop-ceph.sh DIR.
#
# Environment: CEPH_MEMSTORE_BYTES (default 4 GiB: memstore's capacity, memory is used only as
# objects are written).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="${1:?usage: start-ceph.sh DIR MON_PORT}"
port="${2:?usage: start-ceph.sh DIR MON_PORT}"
memstore_bytes="${CEPH_MEMSTORE_BYTES:-4294967296}"

log() { printf '[ceph] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

svc_is_port "$port" || die "bad port: $port"
if [ "$port" -lt 1024 ] || [ "$((port + 19))" -gt 65535 ]; then die "port out of range: $port"; fi
for tool in ceph ceph-mon ceph-osd ceph-authtool monmaptool rbd; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install ceph-mon ceph-osd ceph-common)"
done

mkdir -p "$dir"
dir="$(cd "$dir" && pwd -P)"
conf="$dir/ceph.conf"
keyring="$dir/keyring"
run="$dir/run"
# Admin sockets are Unix sockets: keep their paths short enough (108 bytes).
[ "${#run}" -le 60 ] || die "directory path too long for admin sockets: $dir"

if svc_pid "$run/mon.a.pid" >/dev/null || svc_pid "$run/osd.0.pid" >/dev/null; then
  die "a cluster of $dir is running; stop it with stop-ceph.sh $dir first"
fi
# Something else on the monitor's ports makes ceph-mon retry binding for 15 s and fail: refuse now.
for p in "$port" "$((port + 1))"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p on 127.0.0.1 is in use"; fi
done
rm -rf "$dir/mon" "$dir/osd" "$run" "$dir/log" "$dir/monmap" "$conf" "$keyring" "$dir/mon.keyring"
mkdir -p "$dir/mon/ceph-a" "$dir/osd/ceph-0" "$run" "$dir/log"

fsid="$(cat /proc/sys/kernel/random/uuid)"
v2="$port"
v1="$((port + 1))"
mon_host="[v2:127.0.0.1:$v2,v1:127.0.0.1:$v1]"

cat > "$conf" <<EOF
[global]
fsid = $fsid
mon_host = $mon_host
public_addr = 127.0.0.1
ms_bind_ipv6 = false
ms_bind_port_min = $((port + 2))
ms_bind_port_max = $((port + 19))
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
run_dir = $run
admin_socket = $run/\$name.asok
pid_file = $run/\$name.pid
log_file = $dir/log/\$name.log
crash_dir = $dir/crash
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
osd_crush_chooseleaf_type = 0
osd_pool_default_pg_autoscale_mode = off
mon_data_avail_warn = 1
mon_data_avail_crit = 0
mon_mgr_mkfs_grace = 31536000
paxos_propose_interval = 0.05
# Clients write only their own log when asked to.
[client]
keyring = $keyring
log_file = /dev/null
admin_socket =
[mon]
mon_data = $dir/mon/\$cluster-\$id
keyring = $dir/mon/\$cluster-\$id/keyring
[osd]
osd_data = $dir/osd/\$cluster-\$id
keyring = $dir/osd/\$cluster-\$id/keyring
osd_objectstore = memstore
memstore_device_bytes = $memstore_bytes
# memstore's own count of bytes used can dip below zero for an instant under writes and removals
# (Ceph 16). The OSD then reads an overflowed "-2147483648% full", engages its failsafe (dropping
# writes) and the monitor marks the OSD and the pool full for a second or so: every client's writes
# stall. With this option (Ceph's own, for tests) the OSD counts fullness from its PGs' byte counts,
# which cannot dip, against the same capacity.
fake_statfs_for_testing = $memstore_bytes
osd_max_object_name_len = 1024
EOF

log "creating cluster $fsid in $dir (mon $mon_host)"
ceph-authtool --create-keyring "$dir/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool --create-keyring "$keyring" --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool "$dir/mon.keyring" --import-keyring "$keyring" >/dev/null
chmod 600 "$keyring" "$dir/mon.keyring"
monmaptool --create --addv a "$mon_host" --fsid "$fsid" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/mon.keyring" >&2
ceph-mon -c "$conf" -i a >&2

c() { ceph -c "$conf" --connect-timeout 10 "$@"; }
deadline=$((SECONDS + 60))
until c -s >/dev/null 2>&1; do
  [ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$dir/log/mon.a.log" >&2 || true; die "monitor did not answer in 60 s"; }
  svc_pid "$run/mon.a.pid" >/dev/null || [ ! -s "$run/mon.a.pid" ] || { tail -n 20 "$dir/log/mon.a.log" >&2 || true; die "monitor exited"; }
  sleep 0.05
done

osd_uuid="$(cat /proc/sys/kernel/random/uuid)"
osd_id="$(c osd new "$osd_uuid")"
[ "$osd_id" = 0 ] || die "unexpected osd id: $osd_id"
ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" --mkkey --no-mon-config >"$dir/log/osd-mkfs.log" 2>&1 \
  || { tail -n 20 "$dir/log/osd-mkfs.log" >&2; die "ceph-osd --mkfs failed"; }
c auth add osd.0 osd 'allow *' mon 'allow profile osd' mgr 'allow profile osd' -i "$dir/osd/ceph-0/keyring" >&2
ceph-osd -c "$conf" -i 0 >&2

# Pool creation needs no OSD; `rbd pool init` writes to the pool, so it waits for the OSD itself.
c osd pool create rbd 8 >/dev/null 2>&1
osd_up() { c osd stat 2>/dev/null | grep -q ' 1 up'; }
svc_wait_for 60 0.05 osd_up || { tail -n 20 "$dir/log/osd.0.log" >&2 || true; die "OSD not up in 60 s"; }
timeout 60 rbd -c "$conf" pool init rbd >&2 || die "rbd pool init failed"
c osd pool ls 2>/dev/null | grep -qx rbd || die "pool rbd missing"

log "ready in ${SECONDS}s (mon pid $(cat "$run/mon.a.pid"), osd pid $(cat "$run/osd.0.pid"))"
printf 'CEPH_CONF=%s\nKEYRING=%s\nFSID=%s\nMON_HOST=%s\nPOOL=rbd\n' "$conf" "$keyring" "$fsid" "$mon_host"
