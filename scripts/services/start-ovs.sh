#!/usr/bin/env bash
# Starts a fresh private Open vSwitch (userspace only: ovs-vswitchd with the dummy datapath, no
# kernel module) under DIR: ovsdb-server on punix:DIR/run/db.sock and ptcp:TCP_PORT:127.0.0.1,
# an initialised Open_vSwitch database, and ovs-vswitchd. Waits until both daemons answer, then
# prints KEY=VALUE lines on stdout (everything else goes to stderr):
#   OVS_RUNDIR OVS_DBDIR OVS_LOGDIR OVS_SYSCONFDIR OVS_PKGDATADIR DB_SOCK DB_TCP OVS_DIR
# Export the OVS_* ones and ovs-vsctl/ovs-ofctl/ovs-appctl talk to this instance.
#
#   start-ovs.sh DIR TCP_PORT
#
# "Fresh": daemons this DIR's pid files name are stopped first and the database is recreated from
# /usr/share/openvswitch/vswitch.ovsschema. Stop with stop-ovs.sh DIR; restart ovsdb-server alone
# (keeping the database) with restart-ovsdb.sh DIR [TCP_PORT].
#
# Bridges must use datapath_type=dummy or the default "system" (which --enable-dummy=system turns
# into the dummy datapath too): no kernel devices are ever created.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=ovs-common.sh
. "$here/ovs-common.sh"

[ $# -eq 2 ] || ovs_die "usage: start-ovs.sh DIR TCP_PORT"
port="$2"
svc_is_port "$port" || ovs_die "bad port: $port"
for bin in ovsdb-server ovsdb-tool ovs-vsctl ovs-vswitchd ovs-appctl ovsdb-client; do
  command -v "$bin" >/dev/null || ovs_die "$bin not found (Debian package openvswitch-switch)"
done
schema="${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}"

ovs_setup_env "$1"
ovs_stop ovs-vswitchd
ovs_stop ovsdb-server
rm -rf "$OVS_RUNDIR" "$OVS_DBDIR" "$OVS_LOGDIR" "$OVS_SYSCONFDIR"
mkdir -p "$OVS_RUNDIR" "$OVS_DBDIR" "$OVS_LOGDIR" "$OVS_SYSCONFDIR"

ovsdb-tool create "$OVS_DBDIR/conf.db" "$schema"
ovs_start_ovsdb "$port"
ovs-vsctl --db="unix:$OVS_DB_SOCK" --no-wait init

ovs-vswitchd "unix:$OVS_DB_SOCK" --enable-dummy=system --disable-system --disable-system-route \
  --pidfile="$OVS_RUNDIR/ovs-vswitchd.pid" --log-file="$OVS_LOGDIR/ovs-vswitchd.log" -vconsole:off \
  --detach --no-chdir >&2 \
  || { tail -n 20 "$OVS_LOGDIR/ovs-vswitchd.log" >&2 2>/dev/null; ovs_die "ovs-vswitchd did not start"; }
# Ready = answers on its control socket and has applied the database's configuration
# (cur_cfg catches up with next_cfg, which `init` set).
vswitchd_ready() {
  ovs-appctl -t ovs-vswitchd version >/dev/null 2>&1 \
    && [ "$(ovs-vsctl --db="unix:$OVS_DB_SOCK" --no-wait get Open_vSwitch . cur_cfg 2>/dev/null)" \
       = "$(ovs-vsctl --db="unix:$OVS_DB_SOCK" --no-wait get Open_vSwitch . next_cfg 2>/dev/null)" ]
}
svc_wait_for 30 0.02 vswitchd_ready || { tail -n 20 "$OVS_LOGDIR/ovs-vswitchd.log" >&2; ovs_die "ovs-vswitchd not ready"; }
ovs_log "ready in $OVS_DIR (ovsdb-server $(ovs_pid ovsdb-server), ovs-vswitchd $(ovs_pid ovs-vswitchd))"

printf 'OVS_DIR=%s\n' "$OVS_DIR"
printf 'OVS_RUNDIR=%s\nOVS_DBDIR=%s\nOVS_LOGDIR=%s\n' "$OVS_RUNDIR" "$OVS_DBDIR" "$OVS_LOGDIR"
printf 'OVS_SYSCONFDIR=%s\nOVS_PKGDATADIR=%s\n' "$OVS_SYSCONFDIR" "$OVS_PKGDATADIR"
printf 'DB_SOCK=%s\nDB_TCP=tcp:127.0.0.1:%s\n' "$OVS_DB_SOCK" "$port"
