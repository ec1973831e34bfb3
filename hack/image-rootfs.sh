#!/usr/bin/env bash
# Lays out an image's contents (hack/images/IMAGE.contents) in DIR: the one
# description both image builders follow. The Dockerfile copies DIR into an
# empty image; hack/images.sh packages DIR with imgtool (no Docker).
#
# Usage: image-rootfs.sh IMAGE DIR
#   BIN_DIR (default: the repository's bin/) is where the file entries'
#   bin/ sources are taken from. BUSYBOX (default /bin/busybox) is the
#   busybox-static to install, e.g. another architecture's from Debian
#   (hack/debian-busybox.sh); its applet links are those /bin/busybox lists,
#   so it must be the same Debian version.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# = 2 ] || { sed -n '2,12s/^# \{0,1\}//p' "$0" >&2; exit 2; }
image=$1 out=$2
contents="$root/hack/images/$image.contents"
[ -f "$contents" ] || { echo "image-rootfs: no $contents" >&2; exit 1; }
bin_dir=${BIN_DIR:-$root/bin}
mkdir -p "$out"
out="$(cd "$out" && pwd)"

src_path() {
  case $1 in
    /*) echo "$1" ;;
    bin/*) echo "$bin_dir/${1#bin/}" ;;
    *) echo "$root/$1" ;;
  esac
}

while read -r kind a b; do
  case $kind in
    '' | '#'*) continue ;;
    entrypoint | user) ;; # image metadata: hack/images.sh and the Dockerfile
    file)
      src=$(src_path "$a")
      [ -f "$src" ] || { echo "image-rootfs: $image: $src does not exist (make build)" >&2; exit 1; }
      if command -v file >/dev/null && file -L "$src" | grep -q 'dynamically linked'; then
        echo "image-rootfs: $src is dynamically linked; the image has no libc (build with CGO_ENABLED=0)" >&2
        exit 1
      fi
      install -D -m 0755 "$src" "$out$b"
      ;;
    busybox)
      bb=${BUSYBOX:-/bin/busybox}
      [ -x "$bb" ] || { echo "image-rootfs: $bb missing: install Debian's busybox-static" >&2; exit 1; }
      [ -x /bin/busybox ] || { echo "image-rootfs: /bin/busybox (it lists the applets) missing: install Debian's busybox-static" >&2; exit 1; }
      install -D -m 0755 "$bb" "$out$a"
      dir=$(dirname "$a")
      while read -r applet; do
        [ -e "$out$dir/$applet" ] || [ -L "$out$dir/$applet" ] || ln -s "$(basename "$a")" "$out$dir/$applet"
      done < <(/bin/busybox --list)
      ;;
    dir)
      mkdir -p "$out$a"
      [ "$a" != /tmp ] || chmod 0777 "$out$a"
      ;;
    *) echo "image-rootfs: $contents: unknown entry $kind" >&2; exit 1 ;;
  esac
done <"$contents"
