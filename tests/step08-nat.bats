#!/usr/bin/env bats
# Chapter 8 claims, beyond the host: a bridged container reaches the
# outside world masqueraded as the host, a published port is reached from
# outside through DNAT and from the host's loopback through the proxy, and
# every rule goes with its container or its bridge. "Outside" is a network
# namespace this file makes, joined to the host by a veth pair in a
# documentation range (198.51.100.0/24, RFC 5737): nothing leaves the machine.
bats_require_minimum_version 1.5.0
load helpers
load step08-common

BR="minidockt$((BATS_ROOT_PID % 100000))"
X=$((BATS_ROOT_PID % 200 + 30))
SUBNET="10.217.$X.0/24"
GATEWAY="10.217.$X.1"
NET=(--bridge "$BR" --subnet "$SUBNET")
NS="minidock-out-$((BATS_ROOT_PID % 100000))"
HOST_END="mdkoh$((BATS_ROOT_PID % 100000))"
HOST_ADDR=198.51.100.1
OUT_ADDR=198.51.100.2

eval "_common_$(declare -f setup_file)"
setup_file() {
	_common_setup_file
	"$MINIDOCK" network ls >/dev/null 2>&1 || return 0
	ip -4 route show 198.51.100.0/24 | grep -q . && return 0
	cc -O2 -static -o "$BATS_FILE_TMPDIR/tcpeer" "$REPO/tests/tools/tcpeer.c"
	cat /proc/sys/net/ipv4/ip_forward >"$BATS_FILE_TMPDIR/ip_forward"
	ip netns add "$NS"
	ip link add "$HOST_END" type veth peer name eth0 netns "$NS"
	ip addr add "$HOST_ADDR/24" dev "$HOST_END"
	ip link set "$HOST_END" up
	ip -n "$NS" addr add "$OUT_ADDR/24" dev eth0
	ip -n "$NS" link set eth0 up
	ip -n "$NS" link set lo up
	# the way back to the containers' own addresses, for when they are not masqueraded
	ip -n "$NS" route add "$SUBNET" via "$HOST_ADDR"
}

teardown_file() {
	ip netns del "$NS" 2>/dev/null || true
	sh "$REPO/tests/tools/clean-net.sh" "$BR" >/dev/null 2>&1 || true
	# minidock turns forwarding on and leaves it on, as dockerd does; we put it back
	[ ! -f "$BATS_FILE_TMPDIR/ip_forward" ] || cat "$BATS_FILE_TMPDIR/ip_forward" >/proc/sys/net/ipv4/ip_forward
}

eval "_nat_$(declare -f setup)"
setup() {
	_nat_setup
	"$MINIDOCK" network ls >/dev/null 2>&1 ||
		skip "no nf_tables here: $("$MINIDOCK" network ls 2>&1 | tail -n 1)"
}

# need_routing: skip if this host's firewall drops what it routes (a FORWARD
# DROP policy, as on Docker hosts: nf_tables cannot accept past another
# table's drop, so minidock does not try; make doctor says so).
need_routing() {
	if command -v iptables >/dev/null && iptables -S FORWARD 2>/dev/null | grep -q -- '-P FORWARD DROP'; then
		skip "the iptables FORWARD policy is DROP: routed container traffic is dropped (see make doctor)"
	fi
	if command -v nft >/dev/null && nft list ruleset 2>/dev/null | grep -q 'hook forward.*policy drop'; then
		skip "an nftables forward chain drops by default: routed container traffic is dropped (see make doctor)"
	fi
}

# need_outside: the outside namespace and the tcpeer in $T, or skip.
need_outside() {
	[ -f "$BATS_FILE_TMPDIR/tcpeer" ] || skip "198.51.100.0/24 is routed on this host already"
	cp "$BATS_FILE_TMPDIR/tcpeer" "$T/tcpeer"
}

eval "_nat_$(declare -f teardown)"
teardown() {
	local bad=0 id
	for id in "${IDS[@]}"; do
		md rm -f "$id" >/dev/null 2>&1 || true
	done
	# the bridge goes, and everything of ours with it (clean-net waits for the veths)
	sh "$REPO/tests/tools/clean-net.sh" "$BR" >/dev/null || bad=1
	if "$MINIDOCK" network ls | grep -q "ip $BR "; then
		echo "table ip $BR outlived its bridge" >&2
		bad=1
	fi
	if command -v nft >/dev/null && nft list table ip "$BR" >/dev/null 2>&1; then
		echo "nft still lists table ip $BR" >&2
		bad=1
	fi
	_nat_teardown || bad=1
	return "$bad"
}
IDS=()

# rules: how many rules our table for the bridge holds (0 without one).
rules() {
	"$MINIDOCK" network ls | awk -v t="$BR" '$2 == t { print $3; n = 1 } END { if (!n) print 0 }'
}

rules_are() {
	[ "$(rules)" = "$1" ]
}

# no_ports: no veth is plugged into the bridge any more.
no_ports() {
	[ -z "$(ip -o link show master "$BR" 2>/dev/null)" ]
}

# listen_outside PORT: one connection accepted in the outside namespace, for at
# most 10 s; its output in $T/outside, its PID in LISTENER (bats has other children).
listen_outside() {
	rm -f "$T/ready"
	timeout 10 ip netns exec "$NS" "$T/tcpeer" listen "$1" "$T/ready" >"$T/outside" 2>&1 3>&- &
	LISTENER=$!
	wait_until 10 test -e "$T/ready"
}

# mdd ARGS...: run -d on this file's bridge; the id goes in ID.
mdd() {
	timeout -s KILL 20 "$MINIDOCK" --root "$STORE" run -d -v "$T:/t" "${NET[@]}" "$@" \
		>"$T/run-d.out" 3>&- || return
	ID=$(cat "$T/run-d.out")
	IDS+=("$ID")
}

@test "nat: a container reaches the outside as the host (masquerade), ip_forward on, narrated" {
	need_outside
	need_routing
	echo 0 >/proc/sys/net/ipv4/ip_forward
	listen_outside 7001
	run -0 timeout 20 "$MINIDOCK" --root "$STORE" -D run --rm -v "$T:/t" "${NET[@]}" base \
		/t/tcpeer connect "$OUT_ADDR" 7001
	wait "$LISTENER"
	# the listener saw the host's address on the veth, not the container's
	grep -qx "peer=$HOST_ADDR" "$T/outside"
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
	printf '%s\n' "$output" | grep -qF \
		"nft: add rule ip $BR postrouting ip saddr $SUBNET oifname != \"$BR\" masquerade"
	[ "$(rules)" = 1 ]
}

@test "nat: --ip-masq=false: the outside sees the container's own address; --ip-forward=false leaves forwarding" {
	need_outside
	need_routing
	# an earlier run's masquerade rule, which --ip-masq=false takes away
	run -0 mrun "${NET[@]}" base true
	[ "$(rules)" = 1 ]
	listen_outside 7001
	run -0 timeout 20 "$MINIDOCK" --root "$STORE" --ip-masq=false run --rm -v "$T:/t" "${NET[@]}" \
		base sh -c "probe info; /t/tcpeer connect $OUT_ADDR 7001"
	wait "$LISTENER"
	[ -n "$(value addr.eth0)" ]
	grep -qx "peer=$(value addr.eth0)" "$T/outside"
	[ "$(rules)" = 0 ]
	echo 0 >/proc/sys/net/ipv4/ip_forward
	run -0 "$MINIDOCK" --root "$STORE" --ip-forward=false run --rm "${NET[@]}" base true
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 0 ]
	run -125 "$MINIDOCK" --ip-masq=no ps
	[[ "$output" == *"--ip-masq takes true or false"* ]]
}

@test "nat: a published port: DNAT from outside (the container sees the client), the proxy from loopback" {
	need_outside
	need_routing
	mdd -p 7002 base sh -c '/t/tcpeer listen 7002 /t/r1 && /t/tcpeer listen 7002 /t/r2'
	wait_until 10 test -e "$T/r1"
	# masquerade, a prerouting and an output rule, named for the container
	[ "$(rules)" = 3 ]
	local port
	port=$(md port "$ID" 7002 | sed 's/.*://')
	[ -n "$port" ]
	# from outside, to the host's address: DNAT keeps the client's address
	run -0 timeout 10 ip netns exec "$NS" "$T/tcpeer" connect "$HOST_ADDR" "$port" 1
	[ "$(value peer)" = "$OUT_ADDR" ]
	wait_until 10 test -e "$T/r2"
	# from the host's loopback: the proxy connects from the bridge's gateway
	run -0 timeout 10 "$T/tcpeer" connect 127.0.0.1 "$port" 1
	[ "$(value peer)" = "$GATEWAY" ]
	# the container has ended: its rules went with it, the masquerade stays with the bridge
	wait_until 10 rules_are 1
}

@test "nat: a killed monitor's DNAT rules go at the next run, and at prune" {
	need_outside
	local mon
	for sweeper in run prune; do
		rm -f "$T/r1"
		mdd -p 7002 base /t/tcpeer listen 7002 /t/r1
		wait_until 10 test -e "$T/r1"
		[ "$(rules)" = 3 ]
		mon=$(sed -n 's/^owner=\([0-9]*\)-.*/\1/p' "$STORE/run/containers/$ID/owner")
		kill -KILL "$mon"
		# the container dies with its monitor; its veth goes a moment later
		wait_until 10 no_ports
		[ "$(rules)" = 3 ]
		if [ "$sweeper" = run ]; then
			run -0 mrun "${NET[@]}" base true
		else
			run -0 md prune
		fi
		[ "$(rules)" = 1 ]
	done
}

@test "nat: /etc/resolv.conf: no loopback servers on the bridge, systemd-resolved's upstream, a fallback, --dns" {
	local fake="$T/resolv.conf"
	printf 'nameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch example.test\n' >"$fake"
	# the host's file, replaced in a mount namespace of this test's own
	run -0 unshare -m sh -c "mount --bind '$fake' /etc/resolv.conf &&
		'$MINIDOCK' --root '$STORE' run --rm ${NET[*]} base cat /etc/resolv.conf &&
		echo -- &&
		'$MINIDOCK' --root '$STORE' run --rm --network host base cat /etc/resolv.conf"
	[ "$output" = "$(printf 'nameserver 192.0.2.53\nsearch example.test\n--\nnameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch example.test')" ]
	printf 'nameserver 127.0.0.53\noptions edns0\n' >"$fake"
	run -0 unshare -m sh -c "mount --bind '$fake' /etc/resolv.conf &&
		'$MINIDOCK' --root '$STORE' run --rm ${NET[*]} base cat /etc/resolv.conf &&
		'$MINIDOCK' --root '$STORE' run --rm --dns 192.0.2.1 ${NET[*]} base cat /etc/resolv.conf"
	[ "$output" = "$(printf 'options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\noptions edns0\nnameserver 192.0.2.1')" ]
	if [ -d /run/systemd ]; then
		run -0 unshare -m sh -c "mount --bind '$fake' /etc/resolv.conf &&
			mount -t tmpfs minidock-test /run/systemd && mkdir /run/systemd/resolve &&
			echo 'nameserver 192.0.2.9' >/run/systemd/resolve/resolv.conf &&
			'$MINIDOCK' --root '$STORE' run --rm ${NET[*]} base cat /etc/resolv.conf"
		[ "$output" = "nameserver 192.0.2.9" ]
	fi
	run -125 mrun --dns not-an-address base true
	[[ "$output" == *"--dns 'not-an-address' is not an IP address"* ]]
}

@test "nat: network rm keeps a bridge in use; prune removes the table of a bridge deleted by hand" {
	mdd base sleep 1000
	run -1 "$MINIDOCK" network rm "$BR"
	[[ "$output" == *"network rm $BR: 1 container(s) still plugged in"* ]]
	[ "$(rules)" = 1 ]
	run -0 md rm -f "$ID"
	wait_until 10 no_ports
	# the bridge goes behind minidock's back; its table stays until prune
	ip link del "$BR"
	"$MINIDOCK" network ls | grep -q "^ip $BR .* gone$"
	run -0 md prune
	! "$MINIDOCK" network ls | grep -q "^ip $BR "
}
