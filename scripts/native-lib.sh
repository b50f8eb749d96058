# Sourced by build-native.sh and prebuild-native.sh: what an addon under native/<name>/ needs.
# Its `requires` file lists one pkg-config module per line; `# header: PATH` lines name headers of
# libraries that ship no .pc file (Debian's librados/librbd); `# debian: PACKAGES` says what to
# install when something is missing.

# Prints the directory holding include/node/node_api.h (node-gyp must never download headers).
node_headers_dir() {
  local dir="${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null || true)}"
  if [ -z "$dir" ] || [ "$dir" = "undefined" ] || [ ! -f "$dir/include/node/node_api.h" ]; then
    dir="$(dirname "$(dirname "$(command -v node)")")"
  fi
  printf '%s\n' "$dir"
}

# Prints what the addon in $1 lacks (empty when it can build).
addon_missing() {
  local dir="$1" line missing=()
  [ -f "$dir/requires" ] || return 0
  while read -r line; do
    case "$line" in
      '# header: '*) [ -f "${line#\# header: }" ] || missing+=("${line#\# header: }") ;;
      ''|'#'*) ;;
      *) pkg-config --exists "$line" 2>/dev/null || missing+=("$line") ;;
    esac
  done < "$dir/requires"
  printf '%s\n' "${missing[*]}"
}

# Prints the Debian packages the addon in $1 needs.
addon_packages() {
  sed -n 's/^# debian: //p' "$1/requires" 2>/dev/null | tr '\n' ' '
}

# Prints each native/<name> directory that can build, one per line; says on stderr which are
# skipped and why ($1 is the caller's log tag).
buildable_addons() {
  local tag="$1" dir missing
  for dir in native/*/; do
    dir="${dir%/}"
    [ -f "$dir/binding.gyp" ] || continue
    missing="$(addon_missing "$dir")"
    if [ -n "$missing" ]; then
      echo "[$tag] skip $(basename "$dir"): missing $missing (apt-get install $(addon_packages "$dir"))" >&2
      continue
    fi
    printf '%s\n' "$dir"
  done
}
