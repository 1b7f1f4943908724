#!/usr/bin/env bash
# make bench: start-to-exit latency of /bin/true under each runtime, measured
# interleaved (A B C A B C ...) by tests/tools/bench.c. A benchmark, not a
# test: it prints figures and judges nothing. ROUNDS and IDLE_MS tune it.
set -eu
cd "$(dirname "$0")/../.."
rounds=${ROUNDS:-50}
rootfs=$PWD/build/rootfs
work=$(mktemp -d -t minidock-bench.XXXXXX)
# minidock's state where its default is, under /run (--root alone would put it in the store)
state=/run/minidock-bench.$$
ctr=
cleanup() {
	[ -z "$ctr" ] || $md rm -f "$ctr" >/dev/null
	umount "$work/ext4" "$work/run" 2>/dev/null || true
	rm -rf "$work" "$state"
}
trap cleanup EXIT

# The floor first: the ratio column is each command's to it, round by round.
cmds=(unshare+chroot unshare -u -p -m -i -n -f chroot "$rootfs" /bin/true
	:: true /bin/true)
if command -v bwrap >/dev/null; then
	cmds+=(:: "bwrap --unshare-all" bwrap --unshare-all --bind "$rootfs" / --proc /proc
		--dev /dev /bin/true)
else
	echo "bench: no bwrap (apt-get install bubblewrap to compare with it)"
fi
for b in step01-uts/uts step02-pid/pid step03-mnt/mnt step04-cgroups/cgroups \
	step05-overlay/overlay step06-net/net step07-userns/userns; do
	[ -x "$b" ] || continue
	case $b in
	*/uts | */pid) cmds+=(:: "$b" "$b" /bin/true) ;;
	*/net) cmds+=(:: "$b --network none" "$b" --network none /bin/true
		:: "$b (bridge)" "$b" --bridge minidockbench --subnet 10.254.77.0/24 /bin/true) ;;
	*) cmds+=(:: "$b" "$b" /bin/true) ;;
	esac
done
# A typical distribution's layout, whatever this machine's is: the store on
# ext4 with a journal and without online discard (mkfs.ext4's and most
# distributions' defaults), the state on a tmpfs (/run is one under systemd).
typical_layout() {
	command -v mkfs.ext4 >/dev/null && truncate -s 1G "$work/ext4.img" &&
		mkfs.ext4 -q -F "$work/ext4.img" && mkdir "$work/ext4" "$work/run" &&
		mount -o loop "$work/ext4.img" "$work/ext4" && mount -t tmpfs mdkbench "$work/run"
}
if [ -x step08-full/minidock ]; then
	md="step08-full/minidock --root $work/md --exec-root $state"
	$md import "$rootfs" base >/dev/null
	# part 2: a running container for exec, removed at the end
	ctr=$($md run -d --network none base sleep 100000)
	cmds+=(:: "minidock run --network none" $md run --rm --network none base /bin/true
		:: "minidock run (bridge)" $md run --rm base /bin/true
		:: "minidock exec" $md exec "$ctr" /bin/true)
	echo "bench: minidock's store on $(findmnt -n -o FSTYPE,OPTIONS -T "$work"), /run on $(findmnt -n -o FSTYPE -T /run)"
	if typical_layout 2>/dev/null; then
		typ="step08-full/minidock --root $work/ext4/md --exec-root $work/run/state"
		$typ import "$rootfs" base >/dev/null
		cmds+=(:: "minidock none, typical disk" $typ run --rm --network none base /bin/true
			:: "minidock bridge, typical disk" $typ run --rm base /bin/true)
	else
		echo "bench: no ext4 image on a loop device here: no 'typical disk' rows"
	fi
fi
if command -v runc >/dev/null; then
	mkdir -p "$work/runc"
	(cd "$work/runc" && runc spec && sed -i "s|\"path\": \"rootfs\"|\"path\": \"$rootfs\"|; s|\"sh\"|\"/bin/true\"|; s|\"terminal\": true|\"terminal\": false|" config.json)
	cmds+=(:: runc runc run --bundle "$work/runc" mdkbench)
else
	echo "bench: no runc (apt-get install runc to compare with it)"
fi

cc -O2 -o build/bench tests/tools/bench.c
echo "== hot: $rounds interleaved rounds"
build/bench -n "$rounds" "${cmds[@]}"
echo "== after idle: 10 rounds, 500 ms idle before each run"
build/bench -n 10 -i 500 "${cmds[@]}"
sh tests/tools/clean-net.sh minidockbench >/dev/null 2>&1 || true
# Density: 100 detached containers, their start, ps, and memory (tests/tools/density.sh).
bash tests/tools/density.sh "${DENSITY:-100}"
