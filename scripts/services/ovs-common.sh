# Shared by start-ovs.sh, stop-ovs.sh and restart-ovsdb.sh (sourced, not run).
# shellcheck shell=bash
# Everything of one private Open vSwitch lives in one directory DIR:
#   DIR/run  OVS_RUNDIR: db.sock, pid files, unixctl sockets
#   DIR/db   OVS_DBDIR: conf.db
#   DIR/log  OVS_LOGDIR: ovsdb-server.log, ovs-vswitchd.log
#   DIR/etc  OVS_SYSCONFDIR
#   DIR/tcp-port  the TCP port ovsdb-server listens on (for restart-ovsdb.sh)
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ovs_log() { printf '[ovs] %s\n' "$*" >&2; }
ovs_die() { ovs_log "$*"; exit 1; }

# ovs_setup_env DIR: absolute paths and the OVS_* variables every OVS tool honours.
ovs_setup_env() {
  mkdir -p "$1"
  OVS_DIR="$(cd "$1" && pwd -P)"
  export OVS_RUNDIR="$OVS_DIR/run" OVS_DBDIR="$OVS_DIR/db" OVS_LOGDIR="$OVS_DIR/log"
  export OVS_SYSCONFDIR="$OVS_DIR/etc" OVS_PKGDATADIR="${OVS_PKGDATADIR:-/usr/share/openvswitch}"
  OVS_DB_SOCK="$OVS_RUNDIR/db.sock"
  # sun_path holds 108 bytes; the vswitchd control socket name is the longest we create.
  [ "${#OVS_RUNDIR}" -le 70 ] || ovs_die "directory path too long for unix sockets: $OVS_DIR"
}

# ovs_pid NAME: the live pid from OVS_RUNDIR/NAME.pid, if it really is NAME of this directory.
ovs_pid() {
  svc_pid "$OVS_RUNDIR/$1.pid" "$OVS_RUNDIR/$1.pid"
}

# ovs_stop NAME: SIGTERM by pid file, wait (zombies count as gone), SIGKILL after 5 s.
ovs_stop() {
  local name="$1" pid
  if ! pid="$(ovs_pid "$name")"; then rm -f "$OVS_RUNDIR/$name.pid"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  if ! svc_wait_gone 5 0.02 "$pid"; then
    ovs_log "$name (pid $pid) ignored SIGTERM; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    svc_wait_gone 5 0.02 "$pid" || ovs_die "could not stop $name (pid $pid)"
  fi
  rm -f "$OVS_RUNDIR/$name.pid"
}

# ovs_answers PORT: ovsdb-server answers on its Unix socket and on tcp:127.0.0.1:PORT.
ovs_answers() {
  ovsdb-client --timeout=2 list-dbs "unix:$OVS_DB_SOCK" >/dev/null 2>&1 \
    && ovsdb-client --timeout=2 list-dbs "tcp:127.0.0.1:$1" >/dev/null 2>&1
}

# ovs_start_ovsdb TCP_PORT: ovsdb-server on the existing conf.db, waits until it answers.
ovs_start_ovsdb() {
  local port="$1"
  svc_is_port "$port" || ovs_die "bad port: $port"
  printf '%s\n' "$port" > "$OVS_DIR/tcp-port"
  rm -f "$OVS_DB_SOCK"
  ovsdb-server "$OVS_DBDIR/conf.db" \
    --remote="punix:$OVS_DB_SOCK" --remote="ptcp:$port:127.0.0.1" \
    --unixctl="$OVS_RUNDIR/ovsdb-server.ctl" --pidfile="$OVS_RUNDIR/ovsdb-server.pid" \
    --log-file="$OVS_LOGDIR/ovsdb-server.log" -vconsole:off \
    --detach --no-chdir >&2 \
    || { tail -n 20 "$OVS_LOGDIR/ovsdb-server.log" >&2 2>/dev/null; ovs_die "ovsdb-server did not start"; }
  svc_wait_for 30 0.02 ovs_answers "$port" \
    || ovs_die "ovsdb-server does not answer on $OVS_DB_SOCK / tcp:127.0.0.1:$port"
}
