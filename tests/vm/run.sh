#!/usr/bin/env bash
# tests/vm/run.sh: run chapter 4's tests on a machine with cgroup v2 only.
#
# This host may be hybrid (v1 controllers plus a cgroup2 mount); most
# learners' machines are v2 only. So we boot a throwaway QEMU VM with
# Debian's cloud kernel, cgroup v1 switched off on its command line, and an
# initramfs holding busybox, bash, bats, the repo's tests, a rootfs and
# static builds of the chapter binary and the probe. The guest (tests/vm/init)
# runs the SAME .bats files and powers off; we count its TAP lines.
#
#   STEP_BIN     chapter binary: built from STEP_BIN.c (step08-full/minidock: from
#                step08-full/*.c), or a static binary
#                (default step04-cgroups/cgroups, or step03-mnt/mnt until
#                chapter 4 exists)
#   TESTS        .bats files, relative to the repo (default tests/step04.bats)
#   README       with tests/readme.bats in TESTS: the one README whose console
#                blocks it runs (the guest's /mdk is laid out as the repo:
#                the binary at STEP_BIN's path, build/probe, build/rootfs)
#   VM_TIMEOUT   seconds before a hung guest is killed (default 420)
#   VM_ACCEL     kvm or tcg (default: kvm if it boots the guest, else tcg)
#   VM_SHELL=1   boot to a shell in the guest instead of running the tests
#   KERNEL_PKG   the kernel package (default: what linux-image-cloud-amd64
#                depends on; the cached one when the lists cannot be read)
#
# Downloads are cached in build/cache, the products go to build/vm. The
# kernel and busybox are unpacked there with dpkg -x, never installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
cache=$repo/build/cache
vm=$repo/build/vm
mkdir -p "$cache" "$vm"
trap 'rm -rf "$vm/initramfs" "$vm/initramfs.cpio" "$vm/rootfs"' EXIT

say() { echo "test-v2: $*" >&2; }
die() { say "$*"; exit 1; }

if [ -z "${STEP_BIN:-}" ]; then
	STEP_BIN=step03-mnt/mnt
	[ -f step04-cgroups/cgroups.c ] && STEP_BIN=step04-cgroups/cgroups
fi
if [ -z "${TESTS:-}" ]; then
	TESTS=tests/step04.bats
	[ -f "$TESTS" ] || {
		TESTS=tests/step01.bats
		say "no tests/step04.bats yet: running $TESTS as a smoke test"
	}
fi
VM_TIMEOUT=${VM_TIMEOUT:-420}
for t in $TESTS; do
	[ -f "$t" ] || die "no test file $t"
done
[ -z "${README:-}" ] || [ -f "$README" ] || die "no README $README"

# apt-get install, refreshing the package lists once if that fails.
apt_install() {
	say "installing $*"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "$@" >"$vm/apt.log" 2>&1 ||
		{ apt-get update -q >>"$vm/apt.log" 2>&1 &&
			apt-get install -y -q --no-install-recommends "$@" >>"$vm/apt.log" 2>&1; } ||
		{ cat "$vm/apt.log" >&2; die "cannot install $*"; }
}

command -v qemu-system-x86_64 >/dev/null || apt_install qemu-system-x86
command -v bats >/dev/null || apt_install bats

# fetch PKG: PKG's files, unpacked once into build/cache/PKG.
fetch() {
	local dir=$cache/$1
	[ -f "$dir/.done" ] && return 0
	say "downloading $1"
	rm -rf "$dir" "$cache"/"$1"_*.deb
	(cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "$1" >/dev/null 2>&1) ||
		(cd "$cache" && apt-get update -q >/dev/null 2>&1 &&
			apt-get download -q -o APT::Sandbox::User=root "$1" >/dev/null) ||
		die "cannot download $1"
	dpkg -x "$cache"/"$1"_*.deb "$dir"
	rm -f "$cache"/"$1"_*.deb
	touch "$dir/.done"
}

# The cloud kernel is small and has what a VM needs built in; the meta
# package names the current one.
kernel_pkg() {
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}
kpkg=${KERNEL_PKG:-$(kernel_pkg)}
[ -n "$kpkg" ] || { apt-get update -q >/dev/null 2>&1; kpkg=$(kernel_pkg); }
if [ -z "$kpkg" ]; then
	for d in "$cache"/linux-image-*; do
		[ -f "$d/.done" ] && kpkg=${d##*/}
	done
	[ -n "$kpkg" ] || die "cannot find linux-image-cloud-amd64 in the package lists"
fi
# one kernel in the cache: the current one
for d in "$cache"/linux-image-*; do
	[ "$d" = "$cache/$kpkg" ] || [ ! -e "$d" ] || rm -rf "$d"
done
fetch "$kpkg"
fetch busybox-static
kdir=$cache/$kpkg
vmlinuz=$(echo "$kdir"/boot/vmlinuz-*)
kmods=$(echo "$kdir"/lib/modules/*/kernel)
busybox=$cache/busybox-static/bin/busybox
{ [ -f "$vmlinuz" ] && [ -x "$busybox" ]; } || die "unpacked packages are incomplete: rm -rf build/cache"

# Static builds for the guest, with the rootfs where the guest has it.
cflags=(-static -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror)
name=$(basename "$STEP_BIN")
if [ -f "$STEP_BIN.c" ]; then
	${CC:-cc} "${cflags[@]}" -DDEFAULT_ROOTFS='"/mdk/build/rootfs"' -o "$vm/$name" "$STEP_BIN.c"
elif [ "$name" = minidock ] && [ -f "${STEP_BIN%/*}/main.c" ]; then
	# chapter 8: one program of many files
	${CC:-cc} "${cflags[@]}" -pthread -DDEFAULT_ROOTFS='"/mdk/build/rootfs"' -o "$vm/$name" \
		"${STEP_BIN%/*}"/*.c
elif [ -x "$STEP_BIN" ] && ! readelf -l "$STEP_BIN" | grep -q 'program interpreter'; then
	cp "$STEP_BIN" "$vm/$name"
else
	die "$STEP_BIN: need its source $STEP_BIN.c or a static binary"
fi
${CC:-cc} "${cflags[@]}" -o "$vm/probe" tests/tools/probe.c
sh tests/tools/mkrootfs.sh "$vm/rootfs" "$vm/probe" >/dev/null

# copy_bins DEST FILE...: the FILEs and the shared libraries they need, at
# the same paths under DEST.
copy_bins() {
	local dest=$1 f
	shift
	for f in "$@" $(ldd "$@" 2>/dev/null |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*[^:]$/ { print $1 }' | sort -u); do
		mkdir -p "$dest$(dirname "$f")"
		cp -L "$f" "$dest$f"
	done
}

# The host's own tools, which the tests are written against (busybox's
# umount has no -R, say; script(1), which the -it tests need, is
# bsdutils'), from the packages a fresh machine has; dash
# is /bin/sh, so "sh -c" in a test runs what it runs on the host.
host_tools() {
	dpkg -L dash coreutils util-linux bsdutils mount grep sed findutils procps iproute2 hostname 2>/dev/null |
		grep -E '^/(usr/)?s?bin/[^/]+$' | while read -r f; do
		[ -f "$f" ] && [ -x "$f" ] && echo "$f"
	done
	command -v awk
}

# The initramfs: bash, bats and the host's tools, busybox for the rest
# (init, insmod, poweroff), the modules later chapters need, and a copy of
# the repo's tests under /mdk.
ird=$vm/initramfs
rm -rf "$ird"
mkdir -p "$ird"/{bin,sbin,usr/bin,usr/sbin,usr/lib,usr/libexec,etc,proc,sys,dev,tmp,root,newroot,lib/modules}
mkdir -p "$ird"/mdk/{bin,build}
cp "$busybox" "$ird/bin/busybox"
# shellcheck disable=SC2046 # one path a line, no spaces
copy_bins "$ird" $(command -v bash) $(host_tools | sort -u)
[ -e "$ird/bin/bash" ] || ln -s "$(command -v bash)" "$ird/bin/bash"
for a in $("$busybox" --list-full); do
	[ -e "$ird/$a" ] || ln -s /bin/busybox "$ird/$a"
done
bats_root=$(readlink -f "$(command -v bats)")
bats_root=${bats_root%/*/*}
cp -L "$bats_root/bin/bats" "$ird/usr/bin/bats"
cp -a "$bats_root/lib/bats-core" "$ird/usr/lib/"
cp -a "$bats_root/libexec/bats-core" "$ird/usr/libexec/"
# (bookworm's are plain .ko; busybox insmod needs them uncompressed)
for m in fs/overlayfs/overlay net/llc/llc net/802/stp net/bridge/bridge drivers/net/veth; do
	out=$ird/lib/modules/${m##*/}.ko
	if [ -f "$kmods/$m.ko" ]; then cp "$kmods/$m.ko" "$out"
	elif [ -f "$kmods/$m.ko.xz" ]; then xz -dc "$kmods/$m.ko.xz" >"$out"
	elif [ -f "$kmods/$m.ko.zst" ]; then zstd -qdc "$kmods/$m.ko.zst" >"$out"
	else die "the kernel package has no module $m"
	fi
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$ird/etc/passwd"
echo 'root:x:0:' >"$ird/etc/group"
cp -a tests "$ird/mdk/"
rm -rf "$ird/mdk/tests/vm"
cp -a "$vm/rootfs" "$ird/mdk/build/rootfs"
cp "$vm/$name" "$ird/mdk/bin/"
if [ "$name" = minidock ]; then
	ln -s minidock "$ird/mdk/bin/minidock-oci"
	# the OCI face's terminal tests receive the pty master with it; the
	# seccomp agent answers the README's and the tests' notify profiles
	${CC:-cc} "${cflags[@]}" -o "$ird/mdk/build/console-recv" tests/tools/console-recv.c
	${CC:-cc} "${cflags[@]}" -o "$ird/mdk/build/seccomp-agent" tests/tools/seccomp-agent.c
fi
# where a README's commands look for them, from the repository root /mdk
# (minidock's OCI face is the same binary under another name)
case $STEP_BIN in
/*) ;;
*)	mkdir -p "$ird/mdk/${STEP_BIN%/*}" && cp "$vm/$name" "$ird/mdk/$STEP_BIN"
	[ "$name" != minidock ] || ln -s minidock "$ird/mdk/${STEP_BIN%/*}/minidock-oci" ;;
esac
cp "$vm/probe" "$ird/mdk/build/probe"
if [ -n "${README:-}" ]; then
	mkdir -p "$ird/mdk/$(dirname "$README")"
	cp "$README" "$ird/mdk/$README"
fi
cp tests/vm/init "$ird/init"
chmod 755 "$ird/init"
cat >"$ird/mdk/env" <<EOF
STEP_BIN=/mdk/bin/$name
TESTS="$TESTS"
BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
BATS_BOUND=$((VM_TIMEOUT - 60))
export README="${README:-}"
EOF
cp tests/vm/tap-begin "$ird/mdk/tap-begin"
# minidock: its own tests call it directly, the chapters' through the adapter (tests/run.sh)
if [ "$name" = minidock ]; then
	printf 'export MINIDOCK=/mdk/bin/minidock\nSTEP_BIN=/mdk/tests/tools/minidock-as-step\n' \
		>>"$ird/mdk/env"
fi
(cd "$ird" && find . | "$busybox" cpio -o -H newc 2>/dev/null) >"$vm/initramfs.cpio"
rm -rf "$ird" "$vm/rootfs"

cmdline="console=ttyS0 quiet loglevel=1 panic=-1 systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all"
[ "${VM_SHELL:-}" = 1 ] && cmdline="$cmdline mdk.shell"
# The VM: no network device, no disk, the console on the serial port.
qemu=(qemu-system-x86_64 -cpu max -smp 2 -m 1024 -nodefaults -no-user-config
	-display none -serial stdio -no-reboot -nic none
	-kernel "$vmlinuz" -initrd "$vm/initramfs.cpio")

# A nested /dev/kvm may open and still fail to run a guest: use it only if
# it boots this kernel to its power-off, in a short run.
accel=${VM_ACCEL:-}
if [ -z "$accel" ]; then
	accel=tcg
	# (here QEMU aborts on an MSR write at once: no core file for that)
	if [ -w /dev/kvm ] && (ulimit -c 0; timeout -k 2 20 "${qemu[@]}" -accel kvm \
		-append "$cmdline rdinit=/bin/poweroff -- -f" </dev/null) 2>/dev/null |
		grep -q 'Power down'; then
		accel=kvm
	fi
fi

if [ "${VM_SHELL:-}" = 1 ]; then
	say "a shell in the guest (the tests are in /mdk; 'poweroff -f' leaves)"
	"${qemu[@]}" -accel "$accel" -append "$cmdline"
	exit 0
fi

say "booting $kpkg ($accel): $TESTS against $STEP_BIN, at most ${VM_TIMEOUT}s"
log=$vm/console.log
set +e
timeout -k 5 "$VM_TIMEOUT" "${qemu[@]}" -accel "$accel" -append "$cmdline" </dev/null 2>&1 |
	tr -d '\r' | tee "$log" | sed -n '/^MDK-V2-BOOTED/,$p'
status=${PIPESTATUS[0]}
set -e

passed=$(grep -c '^ok ' "$log" || true)
failed=$(grep -c '^not ok ' "$log" || true)
skipped=$(grep -c '^ok .* # skip' "$log" || true)
rc=$(sed -n 's/^MDK-V2-DONE rc=\([0-9]*\)$/\1/p' "$log")
if [ -z "$rc" ]; then
	{ [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; } && say "the guest did not finish within ${VM_TIMEOUT}s: killed"
	say "no result from the guest; its console (build/vm/console.log) ends:"
	tail -n 20 "$log" >&2
	failed=$((failed + 1))
fi
# A hang inside the guest is a failure of its own, named: the guest's
# watchdog printed MDK-V2-HUNG, what was blocked, and powered off.
hung=$(sed -n 's/^MDK-V2-HUNG //p' "$log")
if [ -n "$hung" ]; then
	begun=$(grep '^# begin ' "$log" | tail -n 1)
	say "the guest hung in: $hung${begun:+; the last test begun: ${begun#\# begin }}"
	say "what was blocked, and the kernel's last messages: build/vm/console.log"
	failed=$((failed + 1))
fi
echo "test-v2: $((passed - skipped)) passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "${rc:-1}" -eq 0 ]
