#!/usr/bin/env bash
# Builds the real Pulumi CLI from the Go module proxy into OUT (default
# ${EVENTSCALE_CACHE:-$HOME/.cache/eventscale}/pulumi-<version>), as OUT/bin/pulumi, using the
# wrapper module tests/engine/tools/pulumi (its tool directive names
# github.com/pulumi/pulumi/pkg/v3/cmd/pulumi). The version is the one that go.mod requires.
# The -X flag is how Pulumi's own release build stamps the version: without it
# `pulumi version` prints nothing. The directory is built under a temporary name and moved
# into place, so an interrupted build leaves nothing that looks finished.
# Cold: ≈ 480 CPU-seconds (4 min on 2 idle cores, 14 under load) and 2 GB of RAM
# (docs/engine-benchmarks.md).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
mod="$here/tools/pulumi"
version="$(awk '$1=="require" && $2=="github.com/pulumi/pulumi/pkg/v3" {print $3; exit} $1=="github.com/pulumi/pulumi/pkg/v3" && $2 ~ /^v/ {print $2; exit}' "$mod/go.mod")"
[ -n "$version" ] || { echo "no requirement of github.com/pulumi/pulumi/pkg/v3 in $mod/go.mod" >&2; exit 1; }
cache="${EVENTSCALE_CACHE:-$HOME/.cache/eventscale}"
out="${1:-$cache/pulumi-$version}"
if [ -x "$out/bin/pulumi" ]; then
  echo "pulumi $version: $out/bin/pulumi (cached)"
  exit 0
fi
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"
echo "building pulumi $version into $out (cold: ≈ 480 CPU-s, 2 GB RAM)"
start=$(date +%s)
( cd "$mod" && GOTOOLCHAIN="${GOTOOLCHAIN:-local}" GOFLAGS="${GOFLAGS:-} -mod=readonly" \
    "${GO:-go}" build -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
      -o "$tmp/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi )
got="$(PULUMI_SKIP_UPDATE_CHECK=true "$tmp/bin/pulumi" version)"
[ "$got" = "$version" ] || { echo "built binary reports '$got', want '$version'" >&2; exit 1; }
mv "$tmp" "$out"
echo "pulumi $version built in $(( $(date +%s) - start ))s: $out/bin/pulumi"
