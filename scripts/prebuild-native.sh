#!/usr/bin/env bash
# Prebuilt binaries (prebuildify, Node-API, x64) for every native/<lib> whose system libraries are
# present: native/<lib>/prebuilds/linux-x64/*.node, which node-gyp-build loads when there is no
# build/Release. Offline: node-gyp uses the installed Node headers (nodedir), never downloads them.
#
#   npm run native:prebuilds
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
nodedir="${npm_config_nodedir:-}"
if [ -z "$nodedir" ] || [ ! -f "$nodedir/include/node/node_api.h" ]; then
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
      case "$mod" in ''|'#'*) continue ;; esac
      pkg-config --exists "$mod" 2>/dev/null || missing+=("$mod")
    done < "$dir/requires"
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "[prebuild-native] skip $name: missing ${missing[*]}"
    continue
  fi
  echo "[prebuild-native] prebuilding $name (x64, napi)"
  if ! (cd "$dir" && npm_config_nodedir="$nodedir" "$root/node_modules/.bin/prebuildify" \
        --napi --strip --arch x64 --target "$(node -p process.versions.node)" >"prebuild.log" 2>&1); then
    echo "[prebuild-native] FAILED $name; last lines of $dir/prebuild.log:"
    tail -20 "$dir/prebuild.log"
    status=1
    continue
  fi
  find "$dir/prebuilds" -name '*.node' -printf '[prebuild-native]   %p (%s bytes)\n'
done
exit "$status"
