#!/usr/bin/env bash
# make bench: start-to-exit latency of /bin/true under each runtime, measured
# interleaved (A B C A B C ...) by tests/tools/bench.c. A benchmark, not a
# test: it prints figures and judges nothing. ROUNDS and IDLE_MS tune it.
set -eu
cd "$(dirname "$0")/../.."
rounds=${ROUNDS:-50}
rootfs=$PWD/build/rootfs
work=$(mktemp -d -t minidock-bench.XXXXXX)
# minidock's state where its default is, on the /run tmpfs (--root alone would put it on disk)
state=/run/minidock-bench.$$
trap 'rm -rf "$work" "$state"' EXIT

cmds=(true /bin/true
	:: unshare+chroot unshare -u -p -m -i -n -f chroot "$rootfs" /bin/true)
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
if [ -x step08-full/minidock ]; then
	md="step08-full/minidock --root $work/md --exec-root $state"
	$md import "$rootfs" base >/dev/null
	# part 2: a running container for exec, removed at the end
	ctr=$($md run -d --network none base sleep 100000)
	trap '$md rm -f "$ctr" >/dev/null; rm -rf "$work" "$state"' EXIT
	cmds+=(:: "minidock run --network none" $md run --rm --network none base /bin/true
		:: "minidock run (bridge)" $md run --rm base /bin/true
		:: "minidock exec" $md exec "$ctr" /bin/true)
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
