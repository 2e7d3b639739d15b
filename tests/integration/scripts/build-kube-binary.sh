#!/usr/bin/env bash
# Usage: build-kube-binary.sh NAME [OUT]
#
# Builds the real Kubernetes binary NAME (kube-apiserver, kube-controller-manager or
# kube-scheduler) from
# the Go module proxy into OUT (default ${EVENTSCALE_CACHE:-$HOME/.cache/eventscale}/NAME-<version>),
# using the wrapper module tests/integration/apiserver (k8s.io/kubernetes with every staging
# module replaced by its published v0.x tag; each binary is a `tool` line of that go.mod).
# The version comes from that go.mod. The -X flags make the binary report its real version
# (clients such as Helm reject a server that says v0.0.0). An existing OUT is kept; the binary
# is built under a temporary name, checked and moved into place (cached-build.sh).
# Cold, 2 cores: kube-apiserver ≈ 9 min and 2.4 GB of RAM; kube-controller-manager after it
# in the same GOCACHE: see docs/integration-benchmarks.md; kube-scheduler after both:
# docs/demo-benchmarks.md.
set -euo pipefail
name="${1:-}"
case "$name" in
  kube-apiserver|kube-controller-manager|kube-scheduler) ;;
  *) echo "usage: $0 kube-apiserver|kube-controller-manager|kube-scheduler [OUT]" >&2; exit 2 ;;
esac
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=SCRIPTDIR/cached-build.sh
. "$here/scripts/cached-build.sh"
mod="$here/apiserver"
version="$(cached_build_version "$mod/go.mod" k8s.io/kubernetes)"
out="${2:-$cached_build_cache/$name-$version}"
cached_build_begin "$name $version" "$out"
minor="${version#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
echo "building $name $version into $out"
cached_build_go "$mod" build -trimpath -ldflags "$ldflags" -o "$tmp" "k8s.io/kubernetes/cmd/$name"
"$tmp" --version | grep -qx "Kubernetes $version" || { echo "built binary reports '$("$tmp" --version)', want 'Kubernetes $version'" >&2; exit 1; }
cached_build_finish "$name $version" "$out"
