#!/usr/bin/env bash
# Prebuilt binaries (prebuildify, Node-API, x64) for every native/<lib> whose system libraries are
# present: native/<lib>/prebuilds/linux-x64/*.node, which node-gyp-build loads when there is no
# build/Release. Offline: node-gyp uses the installed Node headers (nodedir), never downloads them.
#
#   npm run native:prebuilds
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
. scripts/native-lib.sh
nodedir="$(node_headers_dir)"
status=0
for dir in native/*/; do
  dir="${dir%/}"
  [ -f "$dir/binding.gyp" ] || continue
  name="$(basename "$dir")"
  missing="$(addon_missing "$dir")"
  if [ -n "$missing" ]; then
    echo "[prebuild-native] skip $name: missing $missing (apt-get install $(addon_packages "$dir"))"
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
