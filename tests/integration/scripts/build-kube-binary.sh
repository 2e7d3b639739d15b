#!/usr/bin/env bash
# Usage: build-kube-binary.sh NAME [OUT]
#
# Builds the real Kubernetes binary NAME (kube-apiserver, kube-controller-manager or
# kube-scheduler) from
# the Go module proxy into OUT (default ${EVENTSCALE_CACHE:-$HOME/.cache/eventscale}/NAME-<version>),
# using the wrapper module tests/integration/apiserver (k8s.io/kubernetes with every staging
# module replaced by its published v0.x tag; each binary is a `tool` line of that go.mod).
# The version comes from that go.mod. The -X flags make the binary report its real version
# (clients such as Helm reject a server that says v0.0.0). An existing OUT is kept.
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
mod="$here/apiserver"
version="$(awk '$1=="require" && $2=="k8s.io/kubernetes" {print $3; exit} $1=="k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$mod/go.mod")"
[ -n "$version" ] || { echo "no requirement of k8s.io/kubernetes in $mod/go.mod" >&2; exit 1; }
cache="${EVENTSCALE_CACHE:-$HOME/.cache/eventscale}"
out="${2:-$cache/$name-$version}"
if [ -x "$out" ]; then
  echo "$name $version: $out (cached)"
  exit 0
fi
minor="${version#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
echo "building $name $version into $out"
start=$(date +%s)
( cd "$mod" && GOTOOLCHAIN="${GOTOOLCHAIN:-local}" GOFLAGS="${GOFLAGS:-} -mod=readonly" \
    "${GO:-go}" build -trimpath -ldflags "$ldflags" -o "$tmp" "k8s.io/kubernetes/cmd/$name" )
"$tmp" --version | grep -qx "Kubernetes $version" || { echo "built binary reports '$("$tmp" --version)', want 'Kubernetes $version'" >&2; exit 1; }
mv "$tmp" "$out"
echo "$name $version built in $(( $(date +%s) - start ))s: $out"
