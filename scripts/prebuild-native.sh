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
while read -r dir; do
  name="$(basename "$dir")"
  echo "[prebuild-native] prebuilding $name (x64, napi)"
  if ! (cd "$dir" && npm_config_nodedir="$nodedir" "$root/node_modules/.bin/prebuildify" \
        --napi --strip --arch x64 --target "$(node -p process.versions.node)" </dev/null >"prebuild.log" 2>&1); then
    echo "[prebuild-native] FAILED $name; last lines of $dir/prebuild.log:"
    tail -20 "$dir/prebuild.log"
    status=1
    continue
  fi
  find "$dir/prebuilds" -name '*.node' -printf '[prebuild-native]   %p (%s bytes)\n'
done < <(buildable_addons prebuild-native)
exit "$status"
