#!/bin/sh
# Build a small root filesystem for the chapters: mkrootfs.sh DIR PROBE
#
# ROOTFS_FROM picks what the rootfs is made of:
#   busybox  a static busybox (BUSYBOX=PATH, or the host's), every applet it has
#   host     the host's own binaries plus the shared libraries ldd names
#   auto     busybox when the host has a static one, else host (the default)
# Either way the static probe goes in as /bin/probe. The tests pass with both.
set -eu
dir=$1
probe=$(realpath "$2")
from=${ROOTFS_FROM:-auto}
# What the tests and the chapters' READMEs use ...
tools="sh ls cat ps hostname id mount umount sleep echo mkdir rm rmdir touch mknod
stat env true false grep sed readlink ln cp mv wc head tail tr uname chmod chown
dd kill test printf cut sort uniq find mkfifo date expr seq nproc df"
# ... and what a learner reaches for inside (chapter 6: ping the other container).
extras="ping ip nc wget ifconfig route top vi less free"

# The program file itself, even for names the shell also has as builtins.
find_bin() {
	for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		[ -x "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	return 0
}

is_static() { ! readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'; }

bb=${BUSYBOX:-$(find_bin busybox)}
[ -n "$bb" ] && is_static "$bb" && bb=$(realpath "$bb") || bb=
case $from in
auto) from=${bb:+busybox}; from=${from:-host} ;;
busybox) [ -n "$bb" ] || { echo "mkrootfs: ROOTFS_FROM=busybox but no static busybox (apt-get install busybox-static, or BUSYBOX=PATH)" >&2; exit 1; } ;;
host) ;;
*) echo "mkrootfs: ROOTFS_FROM must be auto, host or busybox, not $from" >&2; exit 2 ;;
esac

rm -rf "$dir.new"
mkdir -p "$dir.new"
cd "$dir.new"
mkdir -p bin etc root tmp proc sys dev usr var/tmp
chmod 1777 tmp var/tmp
chmod 700 root
ln -s ../bin usr/bin
ln -s bin sbin
ln -s ../bin usr/sbin

missing=
if [ "$from" = busybox ]; then
	echo "mkrootfs: using static busybox $bb, every applet it has"
	cp "$bb" bin/busybox
	for t in $(bin/busybox --list); do
		[ "$t" = busybox ] || ln -sf busybox "bin/$t"
	done
	for t in $tools $extras; do
		[ -e "bin/$t" ] || missing="$missing $t"
	done
else
	echo "mkrootfs: copying the host's binaries and their libraries"
	for t in $tools $extras; do
		p=$(find_bin "$t")
		case "$p" in
		/*) cp -L "$p" "bin/$t" ;;
		*) missing="$missing $t" ;;
		esac
	done
	for b in bin/*; do
		ldd "$b" 2>/dev/null | grep -o '/[^ ]*' || true
	done | sort -u | while read -r lib; do
		mkdir -p ".$(dirname "$lib")"
		cp -L "$lib" ".$lib"
	done
fi
# make doctor reads these two files to say what the rootfs is and lacks.
echo "$from" > etc/minidock-rootfs-from
echo "${missing# }" > etc/minidock-rootfs-missing
[ -z "$missing" ] || echo "mkrootfs: not in this rootfs:$missing"
cp "$probe" bin/probe

echo 'root:x:0:0:root:/root:/bin/sh' > etc/passwd
echo 'nobody:x:65534:65534:nobody:/:/bin/false' >> etc/passwd
echo 'root:x:0:' > etc/group
echo 'nogroup:x:65534:' >> etc/group
echo 'minidock rootfs' > etc/minidock-release
cd ..
rm -rf "$dir"
mv "$dir.new" "$dir"
