#!/bin/sh
# Build chapter 5's two-layer example image: mkimage.sh ROOTFS OUTDIR
#
#   OUTDIR/base/  a copy of ROOTFS: the image's bottom layer
#   OUTDIR/app/   the layer above it: adds etc/motd and deletes
#                 etc/minidock-release with a whiteout (a 0/0 character
#                 device, overlayfs' mark for "deleted in this layer")
#   OUTDIR/layers the layers' names, bottom first, one a line
#
# Use it with: overlay --layer OUTDIR/base --layer OUTDIR/app CMD
# mknod needs root, as the chapter's binaries do.
set -eu
rootfs=$1
out=$2

[ -d "$rootfs/bin" ] || { echo "mkimage: no rootfs at $rootfs (run 'make rootfs')" >&2; exit 1; }
rm -rf "$out.new"
mkdir -p "$out.new/app/etc"
cp -a "$rootfs" "$out.new/base"
echo 'hello from the app layer' > "$out.new/app/etc/motd"
mknod "$out.new/app/etc/minidock-release" c 0 0
printf 'base\napp\n' > "$out.new/layers"
rm -rf "$out"
mv "$out.new" "$out"
echo "mkimage: $out/base and $out/app (try: step05-overlay/overlay --layer $out/base --layer $out/app cat /etc/motd)"
