#!/usr/bin/env bash
# Restarts the ovsdb-server of the private Open vSwitch under DIR, keeping its database file (so
# clients see a server that went away and came back with the same data). ovs-vswitchd keeps
# running and reconnects by itself. Waits until the new server answers.
#
#   restart-ovsdb.sh DIR [TCP_PORT]     (default: the port start-ovs.sh used)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=ovs-common.sh
. "$here/ovs-common.sh"

if [ $# -lt 1 ] || [ $# -gt 2 ]; then ovs_die "usage: restart-ovsdb.sh DIR [TCP_PORT]"; fi
[ -d "$1" ] || ovs_die "no such directory: $1"
ovs_setup_env "$1"
[ -f "$OVS_DBDIR/conf.db" ] || ovs_die "no database in $OVS_DBDIR (run start-ovs.sh first)"
port="${2:-$(cat "$OVS_DIR/tcp-port" 2>/dev/null || true)}"
[ -n "$port" ] || ovs_die "no TCP port given and none recorded"
ovs_stop ovsdb-server
ovs_start_ovsdb "$port"
ovs_log "ovsdb-server restarted (pid $(ovs_pid ovsdb-server))"
