#!/usr/bin/env bash
# Usage: build-etcd.sh [OUT]
#
# Builds the etcd server from the Go module proxy into OUT (default
# ${EVENTSCALE_CACHE:-$HOME/.cache/eventscale}/etcd-<version>), through the wrapper module
# tests/integration/etcd, whose `tool` directive names go.etcd.io/etcd/server/v3 (the module's
# root is the server's main package). The version is the one that go.mod requires. etcd carries
# its version as a constant (go.etcd.io/etcd/api/v3/version.Version), so no -X stamp is needed;
# the built binary is checked against it, under a temporary name, and only then moved into
# place. An existing OUT is kept. Cold, 2 cores: ≈ 100 s CPU (docs/integration-benchmarks.md).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
mod="$here/etcd"
module=go.etcd.io/etcd/server/v3
version="$(awk -v m="$module" '$1=="require" && $2==m {print $3; exit} $1==m && $2 ~ /^v/ {print $2; exit}' "$mod/go.mod")"
[ -n "$version" ] || { echo "no requirement of $module in $mod/go.mod" >&2; exit 1; }
cache="${EVENTSCALE_CACHE:-$HOME/.cache/eventscale}"
out="${1:-$cache/etcd-$version}"
if [ -x "$out" ]; then
  echo "etcd $version: $out (cached)"
  exit 0
fi
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
echo "building etcd $version ($module) into $out"
start=$(date +%s)
( cd "$mod" && GOTOOLCHAIN="${GOTOOLCHAIN:-local}" GOFLAGS="${GOFLAGS:-} -mod=readonly" \
    "${GO:-go}" build -trimpath -ldflags "-s -w" -o "$tmp" "$module" )
"$tmp" --version | grep -qx "etcd Version: ${version#v}" || { echo "built etcd reports '$("$tmp" --version)', want etcd Version: ${version#v}" >&2; exit 1; }
mv "$tmp" "$out"
echo "etcd $version built in $(( $(date +%s) - start ))s: $out"
