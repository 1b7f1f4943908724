#!/usr/bin/env bash
# crun-bench.sh: time crun the way the issue asks, against the same floor.
#
#   bash step08-full/crun-bench.sh [ROUNDS]     (root; crun and runc installed)
#
# Debian's crun 1.8 refuses a hybrid cgroup layout ("cgroups in hybrid mode
# not supported, drop all controllers from cgroupv2"): here cgroup2 at
# /sys/fs/cgroup/unified lists hugetlb. So crun runs in a cgroup namespace
# rooted at a cgroup of ours (mdk-crun-PID, beneath our own cgroup in every
# hierarchy), in a mount namespace where each hierarchy is mounted afresh:
# crun then sees that cgroup as every tree's root, and the cgroup2 root
# there has no controllers (none is delegated to it). Everything made here
# is removed on exit.
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-40}
rootfs=$PWD/build/rootfs
work=$(mktemp -d -t minidock-crun.XXXXXX)
hier="cpu cpuacct cpuset memory devices freezer blkio pids"
name=mdk-crun-$$
dirs=()

# Our own cgroup in hierarchy $1 (/proc/self/cgroup: ID:CONTROLLERS:PATH).
own() {
	case $1 in
	unified) sed -n 's/^0:://p' /proc/self/cgroup ;;
	systemd) sed -n 's/^[0-9]*:name=systemd://p' /proc/self/cgroup ;;
	*) awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup ;;
	esac
}

cleanup() {
	for d in "${dirs[@]}"; do
		echo $$ >"$d/../cgroup.procs"
		rmdir "$d"
	done
	rm -rf "$work"
}
trap cleanup EXIT

for h in $hier systemd unified; do
	d=/sys/fs/cgroup/$h$(own "$h" | sed 's|^/$||')/$name
	mkdir "$d"
	dirs+=("$d")
	if [ "$h" = cpuset ]; then # an empty cpuset takes no process
		cat "$d/../cpuset.cpus" >"$d/cpuset.cpus"
		cat "$d/../cpuset.mems" >"$d/cpuset.mems"
	fi
	echo $$ >"$d/cgroup.procs"
done

(cd "$work" && runc spec && sed -i "s|\"path\": \"rootfs\"|\"path\": \"$rootfs\"|; s|\"sh\"|\"/bin/true\"|; s|\"terminal\": true|\"terminal\": false|" config.json)
cc -O2 -o build/bench tests/tools/bench.c
cmds=(unshare+chroot unshare -u -p -m -i -n -f chroot "$rootfs" /bin/true
	:: crun crun run --bundle "$work" mdkcrun :: runc runc run --bundle "$work" mdkrunc)
unshare -m -C sh -c '
	mount --make-rprivate /
	mount -t tmpfs -o mode=755 mdk-cgroups /sys/fs/cgroup
	for h in '"$hier"'; do
		mkdir /sys/fs/cgroup/$h
		mount -t cgroup -o $h mdk-$h /sys/fs/cgroup/$h
	done
	mkdir /sys/fs/cgroup/systemd /sys/fs/cgroup/unified
	mount -t cgroup -o none,name=systemd mdk-systemd /sys/fs/cgroup/systemd
	mount -t cgroup2 mdk-unified /sys/fs/cgroup/unified
	echo "== hot: $0 interleaved rounds"
	build/bench -n "$0" "$@"
	echo "== after idle: 10 rounds, 500 ms idle before each run"
	build/bench -n 10 -i 500 "$@"' "$rounds" "${cmds[@]}"
