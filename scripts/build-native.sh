#!/usr/bin/env bash
# Builds each Node-API addon under native/<name>/ whose system libraries are present.
# Each addon directory has its own binding.gyp and a `requires` file: one pkg-config module per
# line, or `include:PATH` for a library that ships no .pc file (librados), checked under
# /usr/include and /usr/local/include; and `# debian: PACKAGES` naming what to install. An addon whose
# libraries are absent is skipped with a message; the pure-TypeScript parts keep working and the
# binding reports the missing package at first use.
# Offline: node-gyp uses the installed Node headers (--nodedir), never downloads them.
set -euo pipefail
cd "$(dirname "$0")/.."
nodedir="${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null || true)}"
if [ -z "$nodedir" ] || [ "$nodedir" = "undefined" ] || [ ! -f "$nodedir/include/node/node_api.h" ]; then
  nodedir="$(dirname "$(dirname "$(command -v node)")")"
fi
status=0
for dir in native/*/; do
  dir="${dir%/}"
  [ -f "$dir/binding.gyp" ] || continue
  name="$(basename "$dir")"
  missing=()
  if [ -f "$dir/requires" ]; then
    while read -r mod; do
      case "$mod" in
        ''|'#'*) continue ;;
        include:*)
          h="${mod#include:}"
          [ -f "/usr/include/$h" ] || [ -f "/usr/local/include/$h" ] || missing+=("$h") ;;
        *) pkg-config --exists "$mod" 2>/dev/null || missing+=("$mod") ;;
      esac
    done < "$dir/requires"
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    hint="$(sed -n 's/^# debian: //p' "$dir/requires" 2>/dev/null || true)"
    echo "[build-native] skip $name: missing ${missing[*]} (apt-get install ${hint:-the -dev packages})"
    continue
  fi
  echo "[build-native] building $name"
  if ! npx --no-install node-gyp rebuild --directory="$dir" --nodedir="$nodedir" --jobs=2 >"$dir/build.log" 2>&1; then
    echo "[build-native] FAILED $name; last lines of $dir/build.log:"
    tail -30 "$dir/build.log"
    status=1
  fi
done
exit "$status"
