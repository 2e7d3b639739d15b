#!/usr/bin/env bash
# Builds the real Kubernetes provider (pulumi-resource-kubernetes) from the Go module proxy into
# OUT (default ${EVENTSCALE_CACHE:-$HOME/.cache/eventscale}/pulumi-kubernetes-<version>), as
# OUT/bin/pulumi-resource-kubernetes, using the wrapper module tests/engine/tools/kubernetes
# (github.com/pulumi/pulumi-kubernetes/provider/v4 at the pseudo-version its go.mod requires).
#
# VERSION (required) is what the provider reports (GetPluginInfo, and the schema's version):
# the pre-release version Pulumi's own builds give an unreleased commit,
# <next release>-alpha.<commit time, Unix seconds>+<commit>, checked against the pseudo-version.
#
# The provider's main package embeds schema-embed.json and terraform-mapping-embed.json, which
# upstream generates (cmd/pulumi-resource-kubernetes/generate.go, run by `go generate` with
# VERSION set) and does not commit, so the module zip lacks them. The module cache is read-only:
# the script copies the module next to OUT, runs the module's own generate.go there, and builds
# the wrapper module with a replace pointing at that copy. Everything is built under temporary
# names (removed at exit) and OUT is moved into place last, once the binary has answered
# GetPluginInfo with VERSION (tests/integration/scripts/cached-build.sh).
# Cold: ≈ 980 CPU-seconds (8 min on 2 idle cores, 16 under load) and 4.6 GB of RAM
# (docs/engine-benchmarks.md).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=SCRIPTDIR/../../integration/scripts/cached-build.sh
. "$here/../integration/scripts/cached-build.sh"
mod="$here/tools/kubernetes"
modpath=github.com/pulumi/pulumi-kubernetes/provider/v4
pseudo="$(cached_build_version "$mod/go.mod" "$modpath")"
version="${VERSION:?VERSION must name the version the provider reports, e.g. 4.25.0-alpha.<unix>+<commit>}"
# A pseudo-version vX.0.0-<yyyymmddhhmmss>-<commit12>: the stamp must carry the same commit and time.
stamp="${pseudo#*-}"; commit="${stamp#*-}"; stamp="${stamp%%-*}"
unix="$(date -u -d "${stamp:0:4}-${stamp:4:2}-${stamp:6:2}T${stamp:8:2}:${stamp:10:2}:${stamp:12:2}Z" +%s)"
case "$version" in
  *-alpha."$unix"+"$commit") ;;
  *) echo "VERSION '$version' does not name the commit of $pseudo: want <release>-alpha.$unix+$commit" >&2; exit 1 ;;
esac
out="${1:-$cached_build_cache/pulumi-kubernetes-$version}"
bin=pulumi-resource-kubernetes
cached_build_begin "pulumi-kubernetes $version" "$out" "bin/$bin"
work="$out.work.$$"
cached_build_cleanup+=("$work")
mkdir -p "$work/gen" "$work/build"
echo "building pulumi-kubernetes $version ($modpath@$pseudo) into $out (cold: ≈ 980 CPU-s, 4.6 GB RAM)"
src="$(cached_build_go "$mod" mod download -json "$modpath@$pseudo" | awk -F'"' '$2=="Dir" {print $4}')"
[ -d "$src/cmd/$bin" ] || { echo "no cmd/$bin in $src" >&2; exit 1; }
cp -R "$src" "$work/src"
chmod -R u+w "$work/src"
cmddir="$work/src/cmd/$bin"
# Upstream's generator, run from a module that has the wrapper's requirements (the copied
# module's own go.mod replaces its SDK with ../sdk, which the module zip does not have).
cp "$mod/go.mod" "$mod/go.sum" "$cmddir/generate.go" "$cmddir/schema.json" "$cmddir/terraform-mapping.json" "$work/gen/"
VERSION="$version" cached_build_go "$work/gen" run generate.go
mv "$work/gen/schema-embed.json" "$work/gen/terraform-mapping-embed.json" "$cmddir/"
cp "$mod/go.mod" "$mod/go.sum" "$work/build/"
cached_build_go "$work/build" mod edit -replace "$modpath=$work/src"
cached_build_go "$work/build" build -trimpath -ldflags "-s -w -X $modpath/pkg/version.Version=$version" \
  -o "$tmp/bin/$bin" "$modpath/cmd/$bin"
# The binary's own answer: tests/engine's TestToolKubernetesProvider starts it and checks the
# version GetPluginInfo and GetSchema report (-trimpath keeps -ldflags out of `go version -m`).
PULUMI_KUBERNETES_BIN="$tmp/bin/$bin" PULUMI_KUBERNETES_VERSION="$version" \
  cached_build_go "$here" test -count=1 -run '^TestToolKubernetesProvider$' . || {
  echo "the built provider does not start or does not report $version" >&2; exit 1; }
cached_build_finish "pulumi-kubernetes $version" "$out" "bin/$bin"
