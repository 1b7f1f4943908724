#!/usr/bin/env bats
# Chapter 6 claims: a network namespace of its own; on --network bridge, a
# veth pair to a host bridge, an address leased with one flock(2)ed file, and
# nothing left behind once the container is gone.
bats_require_minimum_version 1.5.0
load helpers

# The chapter's one bridge and subnet, as Docker's docker0 and 172.17.0.0/16.
# (minidock's --bridge and --subnet, and its overlap checks, are tested in
# step08-from-chapters-b.bats.) Test runs take turns (tests/run.sh's lock).
BR=minidock0
GATEWAY=10.111.0.1
NET=()
IPAM=/run/minidock/ipam
HOST_PROBE=$ROOTFS_SRC/bin/probe

# Chapter 6 onwards only; earlier chapters have no network options.
need_net() {
	has_opt --network || skip "$(basename "$STEP_BIN") has no --network"
}

# The bridge is shared: a container of someone else's (minidock's) may be
# on it. Each test judges only the ports and leases that were not there
# when it began.
all_ports() {
	ip -o link show master "$BR" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
}
all_leases() {
	ls "$IPAM/$BR" 2>/dev/null | grep -E '^[0-9.]+$' || true
}
eval "_helpers_$(declare -f setup)"
setup() {
	_helpers_setup
	BEFORE_PORTS=$(all_ports)
	BEFORE_LEASES=$(all_leases)
}

# The host ends plugged into the bridge by this test.
ports() {
	all_ports | grep -vxF -e "${BEFORE_PORTS:-none}" || true
}

no_ports() {
	[ -z "$(ports)" ]
}

# The lease files made by this test (named for their address).
leases() {
	all_leases | grep -vxF -e "${BEFORE_LEASES:-none}" || true
}

# veth_of ADDR: the host end's name, made from the address (mdk + 8 hex digits).
veth_of() {
	local IFS=.
	# shellcheck disable=SC2086
	printf 'mdk%02x%02x%02x%02x\n' $1
}

# mac_of ADDR: the MAC the container's eth0 gets: 02:6d and the address.
mac_of() {
	local IFS=.
	# shellcheck disable=SC2086
	printf '02:6d:%02x:%02x:%02x:%02x\n' $1
}

# in_ns PID CMD...: run a host tool inside PID's network namespace (and
# nothing else of it), to look at the container from the host.
in_ns() {
	local pid=$1
	shift
	nsenter -t "$pid" -n "$@"
}

# Why this host's firewall may drop bridged traffic (br_netfilter hands
# bridged frames to the FORWARD chain); prints the reason, fails if none.
bridged_traffic_filtered() {
	[ "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)" = 1 ] || return 1
	if command -v iptables >/dev/null && iptables -S FORWARD 2>/dev/null | grep -q -- '-P FORWARD DROP'; then
		echo "br_netfilter is on and the iptables FORWARD policy is DROP (see make doctor)"
		return 0
	fi
	if command -v nft >/dev/null && nft list ruleset 2>/dev/null | grep -q 'hook forward.*policy drop'; then
		echo "br_netfilter is on and an nftables forward chain drops by default (see make doctor)"
		return 0
	fi
	return 1
}

# Ten containers at once keep their PIDs here, so a failed test stops them too.
MANY=()

teardown() {
	stop_job
	local p
	for p in "${MANY[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${MANY[@]}"; do wait "$p" 2>/dev/null; done
	assert_no_mounts_of_ours
	# the kernel removes a dead container's veth asynchronously: wait, with a bound
	wait_until 10 no_ports || {
		echo "veths left on $BR: $(ports)" >&2
		return 1
	}
}

# The bridge stays, shared, like docker0: tests/run.sh removes it if the
# tests made it.

# start_net ARGS...: start a container on this file's bridge (see start_ctr).
start_net() {
	start_ctr "${NET[@]}" "$@"
}

# wait_file NAME: wait (at most 10 s) for the container to create $T/NAME.
wait_file() {
	wait_until 10 test -e "$T/$1" || {
		echo "timed out waiting for $T/$1" >&2
		cat "$T/err" >&2
		return 1
	}
}

@test "net: inside, only lo and eth0, with the assigned address, MAC and route" {
	need_net
	fifos ready go
	start_net sh -c "probe info > $CT/info; cat /sys/class/net/eth0/address > $CT/mac;
		ls /sys/class/net > $CT/sys; echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local pid ip
	pid=$(host_pid)
	output=$(cat "$T/info")
	ip=$(value addr.eth0)
	# inside: exactly lo and eth0, eth0 holding an address of the subnet
	[ "$(grep '^if=' "$T/info" | sort | tr '\n' ' ')" = "if=eth0 if=lo " ]
	[[ "$ip" == 10.111.* ]]
	[ "$ip" != "$GATEWAY" ]
	[ "$(tr '\n' ' ' <"$T/sys")" = "eth0 lo " ]
	[ "$(cat "$T/mac")" = "$(mac_of "$ip")" ]
	# the same seen from the host, in the container's namespace
	[ "$(in_ns "$pid" ip -o link | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort | tr '\n' ' ')" = "eth0 lo " ]
	[ "$(in_ns "$pid" ip -o -4 addr show dev eth0 | awk '{ print $4 }')" = "$ip/16" ]
	[[ "$(in_ns "$pid" ip -4 route show default)" == "default via $GATEWAY dev eth0"* ]]
	# on the host: the bridge with the gateway and its fixed MAC, our veth plugged in
	[ "$(ip -o -4 addr show dev "$BR" | awk '{ print $4 }')" = "$GATEWAY/16" ]
	[ "$(cat "/sys/class/net/$BR/address")" = "$(mac_of "$GATEWAY")" ]
	[ "$(cat "/sys/class/net/$BR/addr_assign_type")" = 3 ] # NET_ADDR_SET: set, never inherited
	[ "$(ports)" = "$(veth_of "$ip")" ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
}

@test "net: the host reaches the container: ICMP echo and TCP to a listener inside" {
	need_net
	start_net sh -c "probe info > $CT/info; exec probe listen 7000 $CT/listening"
	wait_file listening
	local ip
	output=$(cat "$T/info")
	ip=$(value addr.eth0)
	run -0 "$HOST_PROBE" ping "$ip"
	[ "$output" = ping=ok ]
	run -0 "$HOST_PROBE" connect "$ip" 7000
	[ "$output" = "received=hello from probe" ]
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ "$(cat "$T/out")" = accepted=1 ]
}

@test "net: two containers reach each other over the bridge" {
	need_net
	start_net sh -c "probe info > $CT/info; exec probe listen 7001 $CT/listening"
	wait_file listening
	local ip reason
	output=$(cat "$T/info")
	ip=$(value addr.eth0)
	run ctr "${NET[@]}" sh -c "probe ping $ip && probe connect $ip 7001"
	if [ "$status" -ne 0 ] && reason=$(bridged_traffic_filtered); then
		skip "$reason"
	fi
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ping=ok ]
	[ "${lines[1]}" = "received=hello from probe" ]
	finish_ctr
	[ "$STATUS" -eq 0 ]
}

@test "net: the container sees none of the host's interfaces or addresses" {
	need_net
	fifos ready go
	start_net sh -c "probe info > $CT/info; echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local pid name addr ip
	pid=$(host_pid)
	output=$(cat "$T/info")
	ip=$(value addr.eth0)
	# a network namespace of its own
	[ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/self/ns/net)" ]
	# no host interface but lo (every namespace has its own lo), no host address
	for name in $(ip -o link | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
		[ "$name" = lo ] && continue
		[ "$name" = eth0 ] && continue # the container's eth0 is its own, checked below
		! grep -qx "if=$name" "$T/info"
	done
	for addr in $(ip -o -4 addr | awk '{ sub(/\/.*/, "", $4); print $4 }'); do
		[ "$addr" = 127.0.0.1 ] && continue
		! grep -q "=$addr\$" "$T/info"
	done
	# an eth0 in there is the container's own: the MAC we derived from its address
	[ "$(in_ns "$pid" ip -o link show dev eth0 | grep -o 'link/ether [^ ]*')" = "link/ether $(mac_of "$ip")" ]
	[ "$(cat /sys/class/net/eth0/address 2>/dev/null)" != "$(mac_of "$ip")" ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
}

@test "net: --network none has only lo, and it is up" {
	need_net
	fifos ready go
	start_ctr --network none sh -c "probe info > $CT/info; echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local pid
	pid=$(host_pid)
	[ "$(grep '^if=' "$T/info")" = if=lo ]
	[ "$(grep '^addr\.' "$T/info")" = addr.lo=127.0.0.1 ]
	[ "$(in_ns "$pid" ip -o link | wc -l)" -eq 1 ]
	in_ns "$pid" ip -o link show lo | grep -q '[<,]UP[,>]'
	[ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/self/ns/net)" ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	# the alias, Docker's spelling
	run -0 ctr --net none probe info
	[ "$(printf '%s\n' "$output" | grep '^if=')" = if=lo ]
}

@test "net: ten containers started at once hold ten distinct addresses" {
	need_net
	local i n go
	mkfifo "$T/go"
	# held open for writing until the end, so a late reader never blocks in open()
	# (bats keeps fd 3 for itself: let bash pick the number)
	exec {go}<>"$T/go"
	for i in $(seq 1 10); do
		"$STEP_BIN" "${RFLAGS[@]}" "${NET[@]}" sh -c \
			"probe info > $CT/info.$i.tmp && mv $CT/info.$i.tmp $CT/info.$i; read x < $CT/go" \
			>"$T/out.$i" 2>"$T/err.$i" &
		MANY+=($!)
	done
	all_reported() {
		[ "$(ls "$T" | grep -c '^info\.[0-9]*$')" -eq 10 ]
	}
	wait_until 30 all_reported || {
		cat "$T"/err.* >&2
		false
	}
	cat "$T"/info.* | sed -n 's/^addr\.eth0=//p' | sort >"$T/addrs"
	[ "$(wc -l <"$T/addrs")" -eq 10 ]
	[ "$(sort -u "$T/addrs" | wc -l)" -eq 10 ]
	! grep -v "^10\.111\." "$T/addrs"
	! grep -qx "$GATEWAY" "$T/addrs"
	# the host sees ten veths on the bridge, each named for its address, and ten leases
	[ "$(ports | sort)" = "$(while read -r a; do veth_of "$a"; done <"$T/addrs" | sort)" ]
	[ "$(leases | sort)" = "$(sort "$T/addrs")" ]
	for i in $(seq 1 10); do echo go >&"$go"; done
	n=0
	for i in "${MANY[@]}"; do
		wait "$i" || n=$((n + 1))
	done
	MANY=()
	exec {go}>&-
	[ "$n" -eq 0 ]
	wait_until 20 no_ports
	[ -z "$(leases)" ]
}

@test "net: after exit no veth and no lease remains" {
	need_net
	fifos ready go
	start_net sh -c "probe info > $CT/info; echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local ip veth
	output=$(cat "$T/info")
	ip=$(value addr.eth0)
	veth=$(veth_of "$ip")
	ip link show dev "$veth" >/dev/null
	[ -f "$IPAM/$BR/$ip" ]
	# the tool holds its lease's lock (minidock's lease is a record instead)
	full_runtime || run -1 flock -n "$IPAM/$BR/$ip" true
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	# the lease file goes at exit; the veth with the namespace, soon after
	[ ! -e "$IPAM/$BR/$ip" ]
	wait_until 10 sh -c "! ip link show dev $veth >/dev/null 2>&1"
	[ -z "$(leases)" ]
	# the bridge stays, shared, for the next container
	ip link show dev "$BR" >/dev/null
}

@test "net: a killed tool's lease is taken over once its veth is gone" {
	need_net
	full_runtime && skip "minidock hands addresses out round-robin and sweeps leases by their veth (step08-from-chapters-b.bats)"
	fifos ready
	start_net sh -c "probe info > $CT/info; echo > $CT/ready; exec sleep 1000"
	wait_fifo ready
	local ip veth
	output=$(cat "$T/info")
	ip=$(value addr.eth0)
	veth=$(veth_of "$ip")
	# SIGKILL to the tool: no exit path; the container dies with it (PDEATHSIG)
	kill -KILL "$JOB"
	wait "$JOB" || true
	JOB=
	wait_until 10 sh -c "! ip link show dev $veth >/dev/null 2>&1"
	[ -f "$IPAM/$BR/$ip" ] # the stale lease: its owner is dead, its lock gone with it
	# the next run takes the lowest free address: that one, its lease taken over
	run -0 --separate-stderr ctr -D "${NET[@]}" probe info
	[ "$(value addr.eth0)" = "$ip" ]
	[[ "$stderr" == *"open(\"$IPAM/$BR/$ip\") = "*", flock("*", LOCK_EX|LOCK_NB) = 0: its owner is gone [flock(2)]"* ]]
	[ -z "$(leases)" ]
}

# The lease's lock, not a PID in it, says whether its owner lives: a PID is
# reused, a lock goes when its holder dies. This test's own shell is alive
# but holds no lock on the lease it leaves, as a dead tool's PID reused.
@test "net: a lease left unlocked is taken over, even when a live process has its PID" {
	need_net
	full_runtime && skip "minidock hands addresses out round-robin and sweeps leases by their veth (step08-from-chapters-b.bats)"
	local free
	run -0 ctr "${NET[@]}" probe info
	free=$(value addr.eth0)
	wait_until 10 no_ports
	[ ! -e "$IPAM/$BR/$free" ]
	echo "$$" > "$IPAM/$BR/$free"
	run -0 ctr "${NET[@]}" probe info
	[ "$(value addr.eth0)" = "$free" ]
	[ ! -e "$IPAM/$BR/$free" ]
}

@test "net: a lease held by a live tool is never taken, even with no veth yet" {
	need_net
	local free got lock
	run -0 ctr "${NET[@]}" probe info
	free=$(value addr.eth0)
	wait_until 10 no_ports
	[ ! -e "$IPAM/$BR/$free" ]
	# the lowest free address gets a lease of a living owner (this test), locked
	exec {lock}>"$IPAM/$BR/$free"
	flock -x "$lock"
	run ctr "${NET[@]}" probe info
	got=$(value addr.eth0)
	rm -f "$IPAM/$BR/$free"
	exec {lock}>&-
	[ "$status" -eq 0 ]
	[ -n "$got" ] && [ "$got" != "$free" ]
}

@test "net: an unknown --network mode gets a clear error (125)" {
	need_net
	run -125 --separate-stderr ctr --network bogus true
	assert_one_line_error
	[[ "$stderr" == *"unknown network mode 'bogus'"* ]]
}

@test "net: -D narrates CLONE_NEWNET and each rtnetlink message" {
	need_net
	full_runtime && skip "minidock narrates its own calls (step08-run.bats)"
	run -0 --separate-stderr ctr -D "${NET[@]}" true
	[[ "$stderr" == *"=> clone(CLONE_NEWUTS"*"CLONE_NEWNET"*"[clone(2)]"* ]]
	[[ "$stderr" == *"=> socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)"*"[netlink(7)]"* ]]
	[[ "$stderr" == *"parent"*"=> open(\"$IPAM/$BR/10.111."*"\", O_CREAT|O_EXCL) = "*", flock("*", LOCK_EX|LOCK_NB) = 0: ours [flock(2)]"* ]]
	[[ "$stderr" == *"parent"*"=> send(RTM_NEWLINK kind=veth name=mdk"*"master=$BR"*"peer name=eth0"*"[rtnetlink(7)]"* ]]
	[[ "$stderr" == *"child"*"=> send(RTM_NEWLINK name=lo up) = 0 [rtnetlink(7)]"* ]]
	[[ "$stderr" == *"child"*"=> send(RTM_NEWADDR 10.111."*"/16 dev eth0) = 0 [rtnetlink(7)]"* ]]
	[[ "$stderr" == *"child"*"=> send(RTM_NEWROUTE default via $GATEWAY dev eth0) = 0 [rtnetlink(7)]"* ]]
	[[ "$stderr" == *"parent"*"=> unlink(\"$IPAM/$BR/10.111."*"\") = 0 [unlink(2)]"* ]]
}
