#!/bin/sh
# ipmi_sim's chassis_control handler. ipmi_sim runs it (without a shell, so no arguments can be
# added in lan.conf) as
#   chassis-control.sh get PARM...          -> prints "PARM:VALUE" per PARM
#   chassis-control.sh set PARM VALUE...    -> prints nothing on success
# with IPMI_SIM_CHASSIS_DIR (DIR) in its environment, inherited from ipmi_sim. PARM is power (0/1), reset (pulse),
# shutdown (soft off request), boot (none, pxe or default: the simulator maps every other device
# to default) or identify ("INTERVAL FORCE" as one argument).
# State lives in files of DIR so that tests can see what the simulated chassis did:
#   DIR/power  DIR/boot  DIR/identify  DIR/chassis.log (one line per set, in order)
#
# ipmi_sim runs this for every power status read, so it uses shell builtins only (no ls, cat or
# readlink processes: each would cost more than the whole IPMI exchange).
#
# The handler inherits ipmi_sim's sockets: close them, so that nothing this script runs can keep
# the BMC's UDP port alive after the simulator stops. (Only sockets: the shell reads this script
# through a descriptor of its own.)
for f in /proc/$$/fd/*; do
  if [ -S "$f" ]; then eval "exec ${f##*/}>&-" 2>/dev/null || true; fi
done

# get_value FILE DEFAULT: the first line of FILE, or DEFAULT.
get_value() {
  value="$2"
  if [ -r "$1" ]; then read -r value < "$1" || true; fi
  [ -n "$value" ] || value="$2"
  printf '%s\n' "$value"
}

dir="${IPMI_SIM_CHASSIS_DIR:-}"; op="${1:-}"
[ -n "$dir" ] && [ -d "$dir" ] || { echo "chassis-control: IPMI_SIM_CHASSIS_DIR is not a directory"; exit 1; }
shift

case "$op" in
  get)
    for parm in "$@"; do
      case "$parm" in
        power) printf 'power:'; get_value "$dir/power" 0 ;;
        boot) printf 'boot:'; get_value "$dir/boot" default ;;
        *) echo "chassis-control: cannot get $parm"; exit 1 ;;
      esac
    done
    ;;
  set)
    while [ $# -gt 0 ]; do
      parm="$1"; shift
      case "$parm" in
        power)
          echo "$1" > "$dir/power"; echo "power $1" >> "$dir/chassis.log"; shift ;;
        reset)
          echo "reset $1" >> "$dir/chassis.log"; shift ;;
        shutdown)
          # A soft shutdown asks the OS to power off; this chassis has no OS, so it goes off.
          echo 0 > "$dir/power"; echo "shutdown $1" >> "$dir/chassis.log"; shift ;;
        boot)
          echo "$1" > "$dir/boot"; echo "boot $1" >> "$dir/chassis.log"; shift ;;
        identify)
          # One argument, "INTERVAL FORCE" (seconds, and 1 for "on until told otherwise").
          echo "$1" > "$dir/identify"; echo "identify $1" >> "$dir/chassis.log"; shift ;;
        *)
          echo "chassis-control: cannot set $parm"; exit 1 ;;
      esac
    done
    ;;
  *) echo "chassis-control: unknown operation $op"; exit 1 ;;
esac
exit 0
