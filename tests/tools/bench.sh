#!/usr/bin/env bash
# make bench: start-to-exit latency of /bin/true under each runtime, measured
# interleaved (A B C A B C ...) by tests/tools/bench.c. A benchmark, not a
# test: it prints figures and judges nothing. ROUNDS and IDLE_MS tune it,
# TPUT_MB the size of each connection of the published-port throughput,
# ENGINE_ROUNDS the engines' pairs (tests/engines/bench.sh) at the end.
set -eu
cd "$(dirname "$0")/../.."
rounds=${ROUNDS:-50}
rootfs=$PWD/build/rootfs
work=$(mktemp -d -t minidock-bench.XXXXXX)
# minidock's state where its default is, under /run (--root alone would put it in the store)
state=/run/minidock-bench.$$
ctr=
tput_ctr=
forward=$(cat /proc/sys/net/ipv4/ip_forward)
out_ns=minidock-bench-out$$
cleanup() {
	[ -z "$ctr" ] || $md rm -f "$ctr" >/dev/null
	[ -z "$tput_ctr" ] || $md rm -f "$tput_ctr" >/dev/null
	ip netns del "$out_ns" 2>/dev/null || true
	# a bridged run turns forwarding on for good, as dockerd does; the bench puts it back
	[ -z "$forward" ] || echo "$forward" >/proc/sys/net/ipv4/ip_forward
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
		:: "$b (bridge)" "$b" /bin/true) ;;
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

# Part 3: a published port's throughput. A client in a namespace of our own
# (198.18.0.0/24, the benchmarking range of RFC 2544) reaches the host's
# address through the DNAT rule; one on the host's loopback goes through
# run -d's proxy; "direct" connects to the container's address, no NAT.
throughput() {
	local port addr mode mb=${TPUT_MB:-1024}
	cc -O2 -static -o "$work/tcpeer" tests/tools/tcpeer.c
	ip netns add "$out_ns"
	ip link add "mdkbh$$" type veth peer name eth0 netns "$out_ns"
	ip addr add 198.18.0.1/24 dev "mdkbh$$"
	ip link set "mdkbh$$" up
	ip -n "$out_ns" addr add 198.18.0.2/24 dev eth0
	ip -n "$out_ns" link set eth0 up
	tput_ctr=$($md run -d -v "$work:/w" -p 7003 --bridge minidockbench --subnet 10.254.77.0/24 \
		base sh -c 'while /w/tcpeer listen 7003 /w/ready >/dev/null; do :; done')
	port=$($md port "$tput_ctr" 7003 | sed 's/.*://')
	addr=$($md inspect -f '{{.NetworkSettings.IPAddress}}' "$tput_ctr")
	echo "== a published port's throughput, $mb MiB per connection (Mbit/s; 3 rounds)"
	for mode in "DNAT (from outside):ip netns exec $out_ns $work/tcpeer connect 198.18.0.1 $port" \
		"proxy (from loopback):$work/tcpeer connect 127.0.0.1 $port" \
		"direct (no NAT):$work/tcpeer connect $addr 7003"; do
		printf '%-24s' "${mode%%:*}"
		for round in 1 2 3; do
			until [ -e "$work/ready" ]; do sleep 0.01; done
			rm "$work/ready"
			printf ' %8s' "$(${mode#*:} "$mb" | sed -n 's/^mbps=//p')"
		done
		echo
	done
	$md rm -f "$tput_ctr" >/dev/null
	tput_ctr=
}
if [ -x step08-full/minidock ] && ! ip -4 route show 198.18.0.0/24 | grep -q .; then
	throughput
else
	echo "bench: no published-port throughput (no minidock, or 198.18.0.0/24 is routed here)"
fi
sh tests/tools/clean-net.sh minidockbench >/dev/null 2>&1 || true
# Density: 100 detached containers, their start, ps, and memory (tests/tools/density.sh).
bash tests/tools/density.sh "${DENSITY:-100}"
# minidock-oci in runc's place under Docker and podman (tests/engines/bench.sh).
bash tests/engines/bench.sh "${ENGINE_ROUNDS:-20}"
