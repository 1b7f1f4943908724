#!/bin/sh
# Build a small root filesystem for the chapters: mkrootfs.sh DIR PROBE
#
# From a static busybox when the host has one (an ELF with no interpreter),
# otherwise from the host's own binaries plus the shared libraries ldd names.
# Either way the static probe goes in as /bin/probe. BUSYBOX=PATH picks a busybox.
set -eu
dir=$1
probe=$(realpath "$2")
tools="sh ls cat ps hostname id mount umount sleep echo mkdir rm rmdir touch mknod
stat env true false grep sed readlink ln cp mv wc head tail tr uname chmod chown
dd kill test printf cut sort uniq find mkfifo date expr seq nproc df"

rm -rf "$dir.new"
mkdir -p "$dir.new"
cd "$dir.new"
mkdir -p bin etc root tmp proc sys dev usr var/tmp
chmod 1777 tmp var/tmp
chmod 700 root
ln -s ../bin usr/bin
ln -s bin sbin
ln -s ../bin usr/sbin

# The program file itself, even for names the shell also has as builtins.
find_bin() {
	for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		[ -x "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	return 0
}

is_static() { ! readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'; }

bb=${BUSYBOX:-$(find_bin busybox)}
if [ -n "$bb" ] && is_static "$bb"; then
	echo "mkrootfs: using static busybox $bb"
	cp "$bb" bin/busybox
	for t in $tools; do ln -sf busybox "bin/$t"; done
else
	echo "mkrootfs: no static busybox; copying the host's binaries and their libraries"
	for t in $tools; do
		p=$(find_bin "$t")
		case "$p" in
		/*) cp -L "$p" "bin/$t" ;;
		*) echo "mkrootfs: $t not found on the host, skipped" >&2 ;;
		esac
	done
	for b in bin/*; do
		ldd "$b" 2>/dev/null | grep -o '/[^ ]*' || true
	done | sort -u | while read -r lib; do
		mkdir -p ".$(dirname "$lib")"
		cp -L "$lib" ".$lib"
	done
fi
cp "$probe" bin/probe

echo 'root:x:0:0:root:/root:/bin/sh' > etc/passwd
echo 'nobody:x:65534:65534:nobody:/:/bin/false' >> etc/passwd
echo 'root:x:0:' > etc/group
echo 'nogroup:x:65534:' >> etc/group
echo 'minidock rootfs' > etc/minidock-release
cd ..
rm -rf "$dir"
mv "$dir.new" "$dir"
