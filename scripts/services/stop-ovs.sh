#!/usr/bin/env bash
# Stops the private Open vSwitch that start-ovs.sh started under DIR: ovs-vswitchd, then
# ovsdb-server, each by its pid file only (checked to be this DIR's daemon); zombies count as
# stopped. Keeps the files. Safe to run again, and on a DIR that never ran.
#
#   stop-ovs.sh DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=ovs-common.sh
. "$here/ovs-common.sh"

[ $# -eq 1 ] || ovs_die "usage: stop-ovs.sh DIR"
[ -d "$1" ] || exit 0
ovs_setup_env "$1"
ovs_stop ovs-vswitchd
ovs_stop ovsdb-server
