#!/usr/bin/env bash
# Starts COUNT OpenIPMI BMC simulators (ipmi_sim) on 127.0.0.1, UDP ports PORT..PORT+COUNT-1, each
# in DIR/<port>/ (config, state, pidfile, log, and the chassis files its handler writes:
# power, boot, identify, chassis.log). Returns when every port answers an IPMI request.
#
#   start-ipmi-sim.sh DIR PORT [COUNT]
#
# Environment:
#   IPMI_SIM_USER / IPMI_SIM_PASSWORD   admin user 2 (default admin / password); user 3 is
#                                       operator / operpass with operator privilege
#   IPMI_SIM_SOL_PORT                   when set (COUNT=1 only), the BMC's serial port is a TCP
#                                       connection the simulator makes to 127.0.0.1:THIS (SOL)
#   IPMI_SIM_CHECK                      how many instances to check with ipmitool (default: all
#                                       when COUNT <= 8, else the first and the last)
#
# Safe to run again: an instance whose pidfile names a live ipmi_sim of this DIR is left alone.
# Stop with stop-ipmi-sim.sh DIR.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

die() { printf '[ipmi-sim] %s\n' "$*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: start-ipmi-sim.sh DIR PORT [COUNT]"
dir="$1"; port="$2"; count="${3:-1}"
svc_is_port "$port" || die "bad port: $port"
case "$count" in ''|*[!0-9]*|0) die "bad count: $count" ;; esac
user="${IPMI_SIM_USER:-admin}"
password="${IPMI_SIM_PASSWORD:-password}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
templates="$here/ipmi-sim"
command -v ipmi_sim >/dev/null || die "ipmi_sim is missing: apt-get install openipmi"
[ -z "${IPMI_SIM_SOL_PORT:-}" ] || [ "$count" -eq 1 ] || die "IPMI_SIM_SOL_PORT needs COUNT=1"

mkdir -p "$dir"
dir="$(cd "$dir" && pwd -P)"

# The pid in an instance's pidfile, if it is a live ipmi_sim running that instance's config.
our_pid() {
  svc_pid "$1/ipmi_sim.pid" "$1/lan.conf"
}
# Is UDP port $1 bound on 127.0.0.1? (/proc/net/udp: local address as hex ip:port)
bound() {
  local hexport
  hexport="$(printf '%04X' "$1")"
  grep -q " 0100007F:$hexport " /proc/net/udp
}

started=()
for ((i = 0; i < count; i++)); do
  p=$((port + i))
  idir="$dir/$p"
  mkdir -p "$idir/state"
  if our_pid "$idir" >/dev/null; then continue; fi
  bound "$p" && die "UDP 127.0.0.1:$p is already in use by someone else"
  guid="$(printf 'a1b2c3d4e5f6%020x' "$p")"
  sed -e "s|@NAME@|bmc$p|" -e "s|@PORT@|$p|" -e "s|@GUID@|$guid|" \
      -e "s|@CHASSIS@|$templates/chassis-control.sh|" \
      -e "s|@USER@|$user|" -e "s|@PASSWORD@|$password|" \
      "$templates/lan.conf.in" > "$idir/lan.conf.tmp"
  if [ -n "${IPMI_SIM_SOL_PORT:-}" ]; then
    sed -i -e "s|@SOLPORT@|$IPMI_SIM_SOL_PORT|" "$idir/lan.conf.tmp"
  else
    sed -i -e '/@SOLPORT@/d' "$idir/lan.conf.tmp"
  fi
  mv "$idir/lan.conf.tmp" "$idir/lan.conf"
  cp "$templates/sim.emu" "$idir/sim.emu"
  [ -e "$idir/power" ] || echo 0 > "$idir/power"
  # ipmi_sim -n stays in the foreground; its own session so that it outlives this script.
  IPMI_SIM_CHASSIS_DIR="$idir" setsid ipmi_sim -c "$idir/lan.conf" -f "$idir/sim.emu" -n -s "$idir/state" \
    </dev/null >>"$idir/ipmi_sim.log" 2>&1 &
  echo $! > "$idir/ipmi_sim.pid"
  started+=("$p")
done

# Ready = the port is bound (a config error leaves it unbound) and the BMC answers ipmitool.
deadline=$((SECONDS + 30 + count / 10))
for p in "${started[@]}"; do
  until bound "$p"; do
    svc_alive "$(cat "$dir/$p/ipmi_sim.pid")" || { tail -n 20 "$dir/$p/ipmi_sim.log" >&2; die "ipmi_sim on $p exited"; }
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$dir/$p/ipmi_sim.log" >&2; die "port $p not bound after start (bad config?)"; }
    sleep 0.05
  done
done
check="${IPMI_SIM_CHECK:-}"
if [ -z "$check" ]; then
  if [ "$count" -le 8 ]; then check=all; else check=ends; fi
fi
checked=()
case "$check" in
  all) checked=("${started[@]}") ;;
  ends) [ "${#started[@]}" -eq 0 ] || checked=("${started[0]}" "${started[-1]}") ;;
  0|none) ;;
  *) die "IPMI_SIM_CHECK must be all, ends or none" ;;
esac
bmc_answers() {
  ipmitool -I lanplus -H 127.0.0.1 -p "$1" -U "$user" -P "$password" -C 3 -N 1 -R 1 mc guid >/dev/null 2>&1
}
for p in "${checked[@]}"; do
  # Every check runs against the one deadline above.
  svc_wait_for "$((deadline - SECONDS))" 0.1 bmc_answers "$p" || die "BMC on $p does not answer ipmitool"
done
printf '[ipmi-sim] %d BMC(s) up on 127.0.0.1:%d-%d in %s\n' "$count" "$port" $((port + count - 1)) "$dir" >&2
