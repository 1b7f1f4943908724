#!/usr/bin/env bats
# Chapter 8 claims, networking through minidock run: the default bridge
# network, /etc/hosts naming the container's address, and twenty --rm runs
# started at once, each with an address of its own.
bats_require_minimum_version 1.5.0
load helpers
load step08-common

# A bridge and a /24 of this file's own, so parallel runs and other tools never collide.
BR="minidockn$((BATS_ROOT_PID % 100000))"
X=$((BATS_ROOT_PID % 200 + 30))
NET=(--bridge "$BR" --subnet "10.215.$X.0/24")

teardown_file() {
	sh "$REPO/tests/tools/clean-net.sh" "$BR" >/dev/null 2>&1 || true
}

# ports: our veths on the bridge, as the host sees them.
ports() {
	ip -o link show master "$BR" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
}
no_ports() {
	[ -z "$(ports)" ]
}

@test "net: bridge is the default; eth0 has an address, and /etc/hosts names it" {
	run -0 mrun "${NET[@]}" -h webbox base sh -c 'probe info; cat /etc/hosts'
	local addr
	addr=$(value addr.eth0)
	[[ "$addr" == 10.215.$X.* ]]
	printf '%s\n' "$output" | grep -qx "$addr	webbox"
	run -0 mrun --network none base probe info
	[ -z "$(value addr.eth0)" ]
	[ "$(value if)" = lo ]
}

@test "net: the address cursor moves on from run to run, rewritten in place" {
	local cur="/run/minidock/ipam/$BR/last" first inode
	run -0 mrun "${NET[@]}" base true
	first=$(cat "$cur")
	inode=$(stat -c %i "$cur")
	run -0 mrun "${NET[@]}" base probe info
	# round-robin: the next run gets the next address, and the cursor says so
	[ "$(cat "$cur")" != "$first" ]
	[ "$(cat "$cur")" = "$(value addr.eth0)" ]
	# the same file, not a new one renamed over it
	[ "$(stat -c %i "$cur")" = "$inode" ]
}

@test "net: twenty --rm runs at once all succeed, with twenty distinct addresses" {
	local i n go pids=()
	mkfifo "$T/go"
	# held open for writing until the end, so a late reader never blocks in open()
	exec {go}<>"$T/go"
	for i in $(seq 1 20); do
		"$MINIDOCK" --root "$STORE" run --rm -v "$T:/t" "${NET[@]}" base sh -c \
			"probe info > /t/info.$i.tmp && mv /t/info.$i.tmp /t/info.$i; read x < /t/go" \
			>"$T/out.$i" 2>"$T/err.$i" &
		pids+=($!)
	done
	all_reported() {
		[ "$(ls "$T" | grep -c '^info\.[0-9]*$')" -eq 20 ]
	}
	wait_until 60 all_reported || {
		cat "$T"/err.* >&2
		false
	}
	cat "$T"/info.* | sed -n 's/^addr\.eth0=//p' | sort >"$T/addrs"
	[ "$(wc -l <"$T/addrs")" -eq 20 ]
	[ "$(sort -u "$T/addrs" | wc -l)" -eq 20 ]
	[ "$(ports | wc -l)" -eq 20 ]
	for i in $(seq 1 20); do echo go >&"$go"; done
	n=0
	for i in "${pids[@]}"; do
		wait "$i" || n=$((n + 1))
	done
	exec {go}>&-
	[ "$n" -eq 0 ]
	wait_until 30 no_ports
	[ -z "$(ls "/run/minidock/ipam/$BR" 2>/dev/null | grep -v -e '^last$')" ]
}

# veth ADDR: the host end minidock names for an address (mdk + its four bytes in hex).
veth() {
	local IFS=.
	# shellcheck disable=SC2086
	printf 'mdk%02x%02x%02x%02x' $1
}
lease_files() {
	ls "/run/minidock/ipam/$BR" 2>/dev/null | grep -v -e '^last$'
}

@test "net: forty bridged runs, ten at a time, print nothing on stderr and never share an address" {
	local i fails=0
	# each run that ends starts the next: runs end while others sweep the leases
	for i in $(seq 1 40); do
		if [ "$i" -gt 10 ]; then
			wait -n || fails=$((fails + 1))
		fi
		mrun "${NET[@]}" base probe info >"$T/out.$i" 2>"$T/err.$i" &
	done
	for i in $(seq 1 10); do
		wait -n || fails=$((fails + 1))
	done
	cat "$T"/err.* >&2
	[ "$fails" -eq 0 ]
	[ -z "$(cat "$T"/err.*)" ]
	# round-robin over a /24: forty runs, forty addresses
	sed -n 's/^addr\.eth0=//p' "$T"/out.* | sort >"$T/addrs"
	[ "$(wc -l <"$T/addrs")" -eq 40 ]
	[ "$(sort -u "$T/addrs" | wc -l)" -eq 40 ]
	wait_until 30 no_ports
	[ -z "$(lease_files)" ]
}

@test "net: a lease is its run's until that run ends, even once the kernel has taken its veth" {
	local id addr leased swept taken
	id=$(md run -d "${NET[@]}" base sleep 600)
	addr=$(md inspect -f '{{.NetworkSettings.IPAddress}}' "$id")
	leased=$(lease_files)
	# what the kernel does once a container's namespace is gone, before its monitor ends
	ip link del "$(veth "$addr")"
	mrun "${NET[@]}" base true
	swept=$(lease_files)
	run --separate-stderr mrun "${NET[@]}" --ip "$addr" base true
	taken=$status
	run -0 md rm -f "$id"
	[ "$leased" = "$addr" ]
	[ "$swept" = "$addr" ]
	[ "$taken" = 125 ]
	assert_one_line_error
	[ -z "$(lease_files)" ]
}

@test "net: prune sweeps the leases no run holds on every bridge of ours, not only the default one" {
	# a run killed once its lease is taken, before its state names the address
	# (rm and prune remove a lease a state names): the file stays, its lock gone
	MINIDOCK_FAULT=run-mid-network run -137 md run --rm "${NET[@]}" base true
	[ -n "$(lease_files)" ]
	wait_until 30 no_ports
	run -0 md prune
	[ -z "$(lease_files)" ]
}
