#!/usr/bin/env bash
# Builds the real Pulumi CLI from the Go module proxy into OUT (default
# ${EVENTSCALE_CACHE:-$HOME/.cache/eventscale}/pulumi-<version>), as OUT/bin/pulumi, using the
# wrapper module tests/engine/tools/pulumi (its tool directive names
# github.com/pulumi/pulumi/pkg/v3/cmd/pulumi). The version is the one that go.mod requires.
# The -X flag is how Pulumi's own release build stamps the version: without it
# `pulumi version` prints nothing. The directory is built under a temporary name and moved
# into place (tests/integration/scripts/cached-build.sh), so an interrupted build leaves nothing
# that looks finished.
# Cold: ≈ 480 CPU-seconds (4 min on 2 idle cores, 14 under load) and 2 GB of RAM
# (docs/engine-benchmarks.md).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=SCRIPTDIR/../../integration/scripts/cached-build.sh
. "$here/../integration/scripts/cached-build.sh"
mod="$here/tools/pulumi"
version="$(cached_build_version "$mod/go.mod" github.com/pulumi/pulumi/pkg/v3)"
out="${1:-$cached_build_cache/pulumi-$version}"
cached_build_begin "pulumi $version" "$out" bin/pulumi
echo "building pulumi $version into $out (cold: ≈ 480 CPU-s, 2 GB RAM)"
cached_build_go "$mod" build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
  -o "$tmp/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
got="$(PULUMI_SKIP_UPDATE_CHECK=true "$tmp/bin/pulumi" version)"
[ "$got" = "$version" ] || { echo "built binary reports '$got', want '$version'" >&2; exit 1; }
cached_build_finish "pulumi $version" "$out" bin/pulumi
