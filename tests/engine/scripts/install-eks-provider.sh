#!/usr/bin/env bash
# Installs the real pulumi-eks provider (a Node program) into OUT (default
# ${EVENTSCALE_CACHE:-$HOME/.cache/eventscale}/pulumi-eks-<version>) with `npm ci` from
# tests/engine/tools/eks (package.json pins @pulumi/eks exactly, package-lock.json pins the
# rest), and writes OUT/bin/pulumi-resource-eks, the executable the Pulumi engine starts: it
# runs the package's provider entry point, node_modules/@pulumi/eks/cmd/provider/index.js,
# with the node on PATH. --ignore-scripts: the only install scripts in the lock are
# @pulumi/kubernetes's (`pulumi plugin install` of its provider from the internet; the engine
# tier brings its own) and protobufjs's postinstall (a version notice); @pulumi/eks has none.
# Built under a temporary name and moved into place (tests/integration/scripts/cached-build.sh).
# Cold (empty npm cache): ≈ 1 min (docs/engine-benchmarks.md).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=SCRIPTDIR/../../integration/scripts/cached-build.sh
. "$here/../integration/scripts/cached-build.sh"
mod="$here/tools/eks"
version="$(node -p 'require(process.argv[1]).dependencies["@pulumi/eks"]' "$mod/package.json")"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "$mod/package.json must pin @pulumi/eks to one version, not '$version'" >&2; exit 1; }
out="${1:-$cached_build_cache/pulumi-eks-$version}"
cached_build_begin "pulumi-eks $version" "$out" bin/pulumi-resource-eks
cp "$mod/package.json" "$mod/package-lock.json" "$tmp/"
echo "installing pulumi-eks $version into $out"
( cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund )
entry="node_modules/@pulumi/eks/cmd/provider/index.js"
[ -f "$tmp/$entry" ] || { echo "the package has no $entry" >&2; exit 1; }
got="$(node -p 'require(process.argv[1]).version' "$tmp/node_modules/@pulumi/eks/package.json")"
[ "$got" = "$version" ] || { echo "installed @pulumi/eks is '$got', want '$version'" >&2; exit 1; }
# The shim finds the install through its own path, so the directory can be moved.
cat > "$tmp/bin/pulumi-resource-eks" <<SHIM
#!/bin/sh
# pulumi-eks $version provider, installed by tests/engine/scripts/install-eks-provider.sh.
exec node "\$(dirname "\$0")/../$entry" "\$@"
SHIM
chmod +x "$tmp/bin/pulumi-resource-eks"
cached_build_finish "pulumi-eks $version" "$out" bin/pulumi-resource-eks
