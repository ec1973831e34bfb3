#!/usr/bin/env bash
# Prints the path of Debian's busybox-static for architecture ARCH (arm64,
# amd64, ...), the same version as the host's /bin/busybox, downloaded from
# the Debian archive the host uses (no registry). apt runs on a private state
# directory with ARCH as its only architecture: the host's dpkg configuration
# (dpkg --add-architecture) is left alone. Cached in CACHE_DIR.
#
# Usage: debian-busybox.sh ARCH
set -euo pipefail
[ $# = 1 ] || { sed -n '2,9s/^# \{0,1\}//p' "$0" >&2; exit 2; }
arch=$1
if [ "$arch" = "$(dpkg --print-architecture)" ]; then
  echo /bin/busybox
  exit 0
fi
version=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null) ||
  { echo "debian-busybox: install the host's busybox-static first (hack/install-deps.sh busybox-static)" >&2; exit 1; }
cache=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zkensemble/debian-$arch}
bb="$cache/busybox-$version/bin/busybox"
if [ -x "$bb" ]; then
  echo "$bb"
  exit 0
fi
mkdir -p "$cache/lists/partial" "$cache/archives/partial" "$cache/deb"
: >"$cache/status"
apt=(apt-get -qq -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch" -o "Dir::State::Lists=$cache/lists"
  -o "Dir::Cache=$cache" -o "Dir::State::status=$cache/status" -o "Debug::NoDropPrivs=1" -o "APT::Sandbox::User=root")
"${apt[@]}" update >&2
(cd "$cache/deb" && "${apt[@]}" download "busybox-static=$version" >&2)
deb=$(ls "$cache/deb"/busybox-static_*_"$arch".deb)
rm -rf "$cache/busybox-$version"
dpkg-deb -x "$deb" "$cache/busybox-$version"
[ -x "$bb" ] || { echo "debian-busybox: $deb has no bin/busybox" >&2; exit 1; }
echo "$bb"
