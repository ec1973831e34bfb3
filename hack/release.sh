#!/usr/bin/env bash
# make release: everything a release publishes, into dist/ (emptied first),
# at VERSION (default: git describe, hack/version.sh):
#   zkensemble-operator-<chart version>.tgz   the chart (helm package), its
#       version and appVersion the release's, its images tagged with it
#   zkensemble-crds.yaml                      the CRDs as one YAML
#   zkensemble-{server,manager}-<VERSION>.oci.tar  the images as OCI layout
#       tarballs of linux/amd64 + linux/arm64 indexes (hack/images-multiarch.sh)
#   kubectl-zke_<os>_<arch>.tar.gz and zke.yaml    the plugin, and its krew
#       manifest with the archives' sha256 (plugins/krew/zke.yaml)
#   SHA256SUMS                                the checksums of all of the above
# IMAGES=0 leaves the images out (they take the longest to build).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${VERSION:-$(hack/version.sh)}
HELM=${HELM:-bin/helm}
dist=dist
# A chart's version is SemVer 2: v1.2.3[-4-gabc] loses its v; a tree without
# a tag (git describe gives only a commit) is 0.0.0-<commit>.
if [[ $VERSION =~ ^v?([0-9]+\.[0-9]+\.[0-9]+.*)$ ]]; then chart_version=${BASH_REMATCH[1]}; else chart_version="0.0.0-$VERSION"; fi
rm -rf "$dist"
mkdir -p "$dist"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The CRDs, one document each.
for f in config/crd/bases/*.yaml; do
  echo "---"
  cat "$f"
done >"$dist/zkensemble-crds.yaml"

# The chart, its images at this version.
cp -r charts/zkensemble-operator "$tmp/chart"
sed -i -E "s/^(  tag:) dev$/\1 \"$VERSION\"/" "$tmp/chart/values.yaml"
sed -i -E "s#(image: docker.io/zkensemble/[a-z]+):dev\$#\1:$VERSION#" "$tmp/chart/Chart.yaml"
"$HELM" package "$tmp/chart" --version "$chart_version" --app-version "$VERSION" -d "$dist" >/dev/null

# The images, both platforms.
if [ "${IMAGES:-1}" = 1 ]; then
  OUT_DIR="$tmp/images" VERSION="$VERSION" SERVER_IMAGE="docker.io/zkensemble/server:$VERSION" \
    MANAGER_IMAGE="docker.io/zkensemble/manager:$VERSION" hack/images-multiarch.sh
  mv "$tmp/images/server-index.tar" "$dist/zkensemble-server-$VERSION.oci.tar"
  mv "$tmp/images/manager-index.tar" "$dist/zkensemble-manager-$VERSION.oci.tar"
fi

# The plugin for krew's platforms, and its manifest.
cp plugins/krew/zke.yaml "$tmp/zke.yaml"
sed -i "s/VERSION/$VERSION/g" "$tmp/zke.yaml"
for platform in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64; do
  os=${platform%/*} arch=${platform#*/}
  mkdir -p "$tmp/plugin-$os-$arch"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X github.com/zkensemble/zkensemble/pkg/version.Version=$VERSION" -o "$tmp/plugin-$os-$arch/kubectl-zke" ./cmd/kubectl-zke
  archive="$dist/kubectl-zke_${os}_${arch}.tar.gz"
  tar -C "$tmp/plugin-$os-$arch" --owner=0 --group=0 --mtime=@0 -czf "$archive" kubectl-zke
  sum=$(sha256sum "$archive" | cut -d' ' -f1)
  sed -i "s/SHA256_${os}_${arch}/$sum/" "$tmp/zke.yaml"
done
# The manifest keeps the template's header comment only in the repository.
sed '/^#/d' "$tmp/zke.yaml" >"$dist/zke.yaml"

(cd "$dist" && sha256sum -- * >SHA256SUMS)
echo "release $VERSION (chart $chart_version) in $dist/:"
ls -l "$dist"
