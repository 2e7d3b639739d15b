# shellcheck shell=bash
# Sourced (not run) by every script that puts a test tier's binary into the cache:
# build-kube-binary.sh and build-tool.sh here, and tests/engine/scripts' build-pulumi.sh,
# build-kubernetes-provider.sh and install-eks-provider.sh. It is the one copy of what they all
# do around their own build: find the pinned version, keep what is cached already, build under a
# temporary name that is removed at exit, and move the checked result into place last, so an
# interrupted build leaves nothing that looks finished.
#
#   cached_build_version GOMOD MODULE   prints the version GOMOD requires of MODULE (a
#                                       `require` line or a line of a require block; never a
#                                       replace line), or stops the script
#   cached_build_begin LABEL OUT [BIN]  OUT is the result: a file, or with BIN a folder whose
#                                       executable is OUT/BIN. If that executable exists, prints
#                                       "LABEL: <it> (cached)" and exits 0. Otherwise creates
#                                       OUT's parent, sets $tmp (OUT.tmp.<pid>; with BIN a
#                                       folder holding BIN's folder), removes $tmp and every
#                                       path in $cached_build_cleanup at exit, and starts the
#                                       clock
#   cached_build_go DIR ARGS...         runs `go ARGS` in DIR with $GO (default go),
#                                       GOTOOLCHAIN=local unless set, and -mod=readonly added to
#                                       GOFLAGS: only the go.mod and go.sum of DIR decide what
#                                       is built
#   cached_build_finish LABEL OUT [BIN] moves $tmp to OUT (call it once the result is
#                                       checked) and prints how long it took
#
# OUT defaults, in each script, to $EVENTSCALE_CACHE/<name>-<version>, with EVENTSCALE_CACHE
# (cached_build_cache) defaulting to ~/.cache/eventscale: the folder make/*.mk export and
# tests/integration's CacheDir read.

# shellcheck disable=SC2034 # read by the scripts that source this file
cached_build_cache="${EVENTSCALE_CACHE:-$HOME/.cache/eventscale}"
cached_build_cleanup=()

cached_build_version() {
  local v
  v="$(awk -v m="$2" '$1=="require" && $2==m {print $3; exit} $1==m && $2 ~ /^v/ {print $2; exit}' "$1")"
  [ -n "$v" ] || { echo "no requirement of $2 in $1" >&2; exit 1; }
  echo "$v"
}

cached_build_begin() {
  local label="$1" out="$2" bin="${3:-}"
  local result="$out${bin:+/$bin}"
  if [ -x "$result" ]; then
    echo "$label: $result (cached)"
    exit 0
  fi
  mkdir -p "$(dirname "$out")"
  tmp="$out.tmp.$$"
  trap 'chmod -R u+w "${cached_build_cleanup[@]}" 2>/dev/null || true; rm -rf "$tmp" "${cached_build_cleanup[@]}"' EXIT
  if [ -n "$bin" ]; then
    mkdir -p "$tmp/$(dirname "$bin")"
  fi
  cached_build_start=$(date +%s)
}

cached_build_go() {
  local dir="$1"
  shift
  ( cd "$dir" && GOTOOLCHAIN="${GOTOOLCHAIN:-local}" GOFLAGS="${GOFLAGS:-} -mod=readonly" "${GO:-go}" "$@" )
}

cached_build_finish() {
  local label="$1" out="$2" bin="${3:-}"
  mv "$tmp" "$out"
  echo "$label built in $(( $(date +%s) - cached_build_start ))s: $out${bin:+/$bin}"
}
