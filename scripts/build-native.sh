#!/usr/bin/env bash
# Builds each Node-API addon under native/<name>/ whose system libraries are present (see
# native-lib.sh for its `requires` file). An addon whose libraries are absent is skipped with a
# message; the pure-TypeScript parts keep working and the binding names the missing package at
# first use. Offline: node-gyp uses the installed Node headers (--nodedir), never downloads them.
# Incremental: configure once, then `node-gyp build`, so that a rebuild never leaves a window in
# which the built addon is missing (tests of another addon may be loading it). --clean rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/native-lib.sh
nodedir="$(node_headers_dir)"
clean=0
[ "${1:-}" = "--clean" ] && clean=1
status=0
while read -r dir; do
  name="$(basename "$dir")"
  echo "[build-native] building $name"
  gyp=(npx --no-install node-gyp --directory="$dir" --nodedir="$nodedir")
  if { [ "$clean" -eq 1 ] || [ ! -f "$dir/build/config.gypi" ] || [ "$dir/binding.gyp" -nt "$dir/build/config.gypi" ]; } &&
     ! "${gyp[@]}" configure </dev/null >"$dir/build.log" 2>&1; then
    echo "[build-native] FAILED to configure $name; last lines of $dir/build.log:"
    tail -30 "$dir/build.log"
    status=1
    continue
  fi
  if ! "${gyp[@]}" build --jobs=2 </dev/null >>"$dir/build.log" 2>&1; then
    echo "[build-native] FAILED $name; last lines of $dir/build.log:"
    tail -30 "$dir/build.log"
    status=1
  fi
done < <(buildable_addons build-native)
exit "$status"
