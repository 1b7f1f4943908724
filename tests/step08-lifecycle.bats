#!/usr/bin/env bats
# Chapter 8 claims, the lifecycle of detached containers: run -d and its
# monitor, ps, exec, logs, stop, kill, rm, pause, stats, top, inspect,
# published ports, commit, a killed monitor, twenty at once, and the
# refusals. Every fact is checked from the host, and after every test
# nothing of ours is left: no monitor, cgroup, state, layer, log, name or veth.
bats_require_minimum_version 1.5.0
load helpers
load step08-common

# A bridge and a /24 of this file's own (as step08-net.bats), so that our veths can be counted.
BR="minidockl$((BATS_ROOT_PID % 100000))"
X=$((BATS_ROOT_PID % 200 + 30))
NET=(--bridge "$BR" --subnet "10.216.$X.0/24")

# On a cgroup-v2-only machine our own cgroup holds this shell, so it cannot
# hand controllers to a minidock/ child (no internal processes): the
# containers go under a sibling of it instead, as in step04.bats, when
# its parent delegates memory (the root always may).
CGPARENT=
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
	_own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	_up=${_own%/*}
	grep -qw memory "/sys/fs/cgroup$_up/cgroup.subtree_control" 2>/dev/null &&
		CGPARENT="$_up/mdk-life-$((BATS_ROOT_PID % 100000))"
fi
CG=(${CGPARENT:+--cgroup-parent "$CGPARENT"})

eval "_common_$(declare -f setup_file)"
setup_file() {
	_common_setup_file
	[ -z "$CGPARENT" ] || mkdir -p "/sys/fs/cgroup$CGPARENT"
}

# What teardown checks: every container a test started, and its monitor as PID-START.
IDS=()
MONITORS=()
# Background commands a test started (logs -f, exec), ended in teardown if still there.
BG=()

teardown_file() {
	sh "$REPO/tests/tools/clean-net.sh" "$BR" >/dev/null 2>&1 || true
	[ -z "$CGPARENT" ] || rmdir "/sys/fs/cgroup$CGPARENT"
}

eval "_common_$(declare -f teardown)"

teardown() {
	local bad=0
	lifecycle_leftovers || bad=1
	lifecycle_cleanup
	_common_teardown || bad=1
	return "$bad"
}

# mdd ARGS...: run -d on this file's bridge, with $T as /t; the id goes in ID. Bounded, and
# through a file, not a pipe: a monitor that kept our stdout (or bats' fd 3) would hang the test.
mdd() {
	timeout -s KILL 20 "$MINIDOCK" --root "$STORE" run -d -v "$T:/t" "${NET[@]}" "${CG[@]}" "$@" \
		>"$T/run-d.out" 3>&- || return
	ID=$(cat "$T/run-d.out")
	track "$ID"
}

# track ID: remember a container and its monitor (its owner file's PID-START).
track() {
	[[ "$1" =~ ^[0-9a-f]{64}$ ]] || {
		echo "run -d printed '$1', not a 64-hex id" >&2
		return 1
	}
	IDS+=("$1")
	MONITORS+=("$(sed -n 's/^owner=//p' "$STORE/run/containers/$1/owner" 2>/dev/null)")
}

# monitor ID: the PID of the container's monitor, from its owner file.
monitor() {
	sed -n 's/^owner=\([0-9]*\)-.*/\1/p' "$STORE/run/containers/$1/owner"
}

# ctr_pid ID: the host PID of the container's PID 1, from its state file.
ctr_pid() {
	sed -n 's/^pid=\([0-9]*\)-.*/\1/p' "$STORE/run/containers/$1/state"
}

# cg_dir ID CONTROLLER: one of its cgroup directories, the last word of a "cgroup=" line of its state.
cg_dir() {
	awk -v c="cgroup=$2" '$1 == c { print $NF }' "$STORE/run/containers/$1/state"
}

# proc_field PID N: field N of /proc/PID/stat (proc(5)), counted after the command name.
proc_field() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk -v n="$(($2 - 2))" '{ print $n }'
}

# gone PID: no such process any more, or only a zombie.
gone() {
	local st
	st=$(proc_field "$1" 3)
	[ -z "$st" ] || [ "$st" = Z ]
}

# alive PID-START: that very process (not a reuse of its PID) is there and no zombie.
alive() {
	local pid=${1%-*}
	[ -n "$pid" ] && [ "$(proc_field "$pid" 22)" = "${1#*-}" ] && ! gone "$pid"
}

# cgroups_of PID: the cgroup directories named for a monitor (mdk-PID-START).
cgroups_of() {
	find /sys/fs/cgroup -maxdepth 7 -type d -name "mdk-$1-*" 2>/dev/null
}

no_cgroups() {
	[ -z "$(cgroups_of "$1")" ]
}

monitor_gone() {
	not alive "$1"
}

# veths: our containers' veths on this file's bridge, as the host sees them.
veths() {
	ip -o link show master "$BR" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
}

no_veths() {
	[ -z "$(veths)" ]
}

# store_entries: the containers' state dirs, writable layers (and logs) and names in the store.
store_entries() {
	ls -A "$STORE/run/containers" "$STORE/containers" "$STORE/run/names" 2>/dev/null |
		grep -v -e '^/' -e '^$' -e ':$'
}

# A removed container leaves nothing: its monitor exits, its cgroups, state,
# layer, log, name, address lease and veth go (the kernel removes a veth a
# moment after its namespace dies, so those get a bounded wait).
lifecycle_leftovers() {
	local m left="" wait=5 net_wait=30
	# a test that failed midway left its containers: say so at once, without waiting on them
	if [ -n "$(store_entries)" ]; then
		left+=" in $STORE: $(store_entries | sort -u | tr '\n' ' ');"
		wait=0 net_wait=0
	fi
	for m in "${MONITORS[@]}"; do
		[ -n "$m" ] || continue
		wait_until "$wait" monitor_gone "$m" || left+=" monitor ${m%-*};"
		wait_until "$wait" no_cgroups "${m%-*}" ||
			left+=" cgroups $(cgroups_of "${m%-*}" | tr '\n' ' ');"
	done
	wait_until "$net_wait" no_veths || left+=" veths $(veths | tr '\n' ' ');"
	[ -z "$(ls "/run/minidock/ipam/$BR" 2>/dev/null | grep -v -e '^last$' -e '^lock$')" ] ||
		left+=" leases $(ls "/run/minidock/ipam/$BR" | tr '\n' ' ');"
	if [ -n "$left" ]; then
		echo "left over:$left" >&2
		return 1
	fi
}

# After a failed test: remove what it left, so that the next tests are judged on their own.
lifecycle_cleanup() {
	local p id m d
	for p in "${BG[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for id in "${IDS[@]}"; do
		if [ -e "$STORE/run/containers/$id" ]; then
			timeout -s KILL 20 "$MINIDOCK" --root "$STORE" rm -f "$id" >/dev/null 2>&1 3>&-
		fi
	done
	for m in "${MONITORS[@]}"; do
		if [ -n "$m" ] && alive "$m"; then
			kill -KILL "${m%-*}"
		fi
	done
	for m in "${MONITORS[@]}"; do
		[ -n "$m" ] || continue
		for d in $(cgroups_of "${m%-*}" | sort -r); do
			wait_until 5 rmdir "$d" 2>/dev/null
		done
	done
	timeout -s KILL 20 "$MINIDOCK" --root "$STORE" rmi snap >/dev/null 2>&1 3>&-
	return 0
}

# ms: the time now, in milliseconds.
ms() {
	echo $(($(date +%s%N) / 1000000))
}

# insp ID PATH: one field of md inspect, as -f '{{PATH}}' prints it.
insp() {
	md inspect -f "{{$2}}" "$1"
}

exited() {
	[ "$(insp "$1" .State.Status 2>/dev/null)" = exited ]
}

# counter: what the container's counter loop wrote last (maybe empty, between its writes).
counter() {
	cat "$T/counter" 2>/dev/null
}

counter_at_least() {
	local v
	v=$(counter)
	[ -n "$v" ] && [ "$v" -ge "$1" ]
}

counter_moved_from() {
	local v
	v=$(counter)
	[ -n "$v" ] && [ "$v" != "$1" ]
}

# listening ADDRHEX PORT: a TCP socket of the host's in LISTEN (0A) there, per /proc/net/tcp.
listening() {
	awk -v a="$(printf '%s:%04X' "$1" "$2")" '$2 == a && $4 == "0A"' /proc/net/tcp | grep -q .
}

# stats_rows ID...: one "md stats --no-stream" of them all, its header checked; rows in STATS.
stats_rows() {
	run -0 md stats --no-stream "$@"
	[[ "${lines[0]}" =~ ^CONTAINER\ ID\ +NAME\ +CPU\ %\ +MEM\ USAGE\ /\ LIMIT\ +MEM\ %\ .*PIDS$ ]]
	[ "${#lines[@]}" -eq $(($# + 1)) ]
	STATS=("${lines[@]:1}")
}

# row ID: the fields of its row of STATS in ROW (ID, NAME, CPU %, USAGE, /, LIMIT, MEM %, ..., PIDS).
row() {
	local r
	for r in "${STATS[@]}"; do
		# shellcheck disable=SC2206
		ROW=($r)
		[ "${ROW[0]}" != "${1:0:12}" ] || return 0
	done
	echo "no row for ${1:0:12} in: ${STATS[*]}" >&2
	return 1
}

# mib SIZE: Docker's "12.5MiB", "1.2GiB", "512KiB", "100B" as whole MiB.
mib() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		f["B"] = 1 / 1048576; f["KiB"] = f["kB"] = 1 / 1024; f["MiB"] = f["MB"] = 1
		f["GiB"] = f["GB"] = 1024
		if (!(u in f)) exit 1
		printf "%d\n", n * f[u]
	}'
}

# not CMD...: CMD fails. (A bare "! CMD" fails a bats test only as its last line: set -e ignores it.)
not() {
	! "$@"
}

# at_least A B: the decimal A is at least B (awk: bash has no floating point).
at_least() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'
}

@test "lifecycle: run -d prints the id; ps, logs and exec see it; stop ends a SIGTERM handler at once" {
	fifos ready
	mdd --name web base sh -c 'echo to-out; echo to-err >&2; trap "exit 0" TERM; echo > /t/ready; sleep 1000 & wait'
	wait_fifo ready
	local pid t0 t1
	pid=$(ctr_pid "$ID")
	[ -d "/proc/$pid" ]
	# the monitor is the container's parent, and outlives run -d
	[ "$(proc_field "$pid" 4)" = "$(monitor "$ID")" ]
	alive "${MONITORS[0]}"

	run -0 md ps
	[[ "${lines[0]}" =~ ^CONTAINER\ ID\ +IMAGE\ +COMMAND\ +CREATED\ +STATUS\ +PORTS\ +NAMES$ ]]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" =~ ^${ID:0:12}\ +base\ +\".*\"\ .*\ Up\ [^\ ].*\ web$ ]]
	run -0 md ps -q
	[ "$output" = "${ID:0:12}" ]

	# logs: stdout to stdout, stderr to stderr, from the monitor's log file in the writable layer's dir
	both_logged() {
		[ "$(md logs web 2>&1 | sort | tr '\n' ' ')" = "to-err to-out " ]
	}
	wait_until 5 both_logged
	run -0 --separate-stderr md logs web
	[ "$output" = to-out ]
	[ "$stderr" = to-err ]
	grep -qs to-out "$(sed -n 's/^log=//p' "$STORE/run/containers/$ID/config")"
	[[ "$(sed -n 's/^log=//p' "$STORE/run/containers/$ID/config")" == "$STORE/containers/$ID/"* ]]

	# exec: the container's hostname and PID namespace, as a process that is not PID 1
	run -0 md exec web hostname
	[ "$output" = "${ID:0:12}" ]
	run -0 md exec web probe info
	[ "$(value hostname)" = "${ID:0:12}" ]
	[ "$(value pid)" != 1 ]
	[ "$(value ns.pid)" = "$(stat -L -c %i "/proc/$pid/ns/pid")" ]
	[ "$(value ns.uts)" = "$(stat -L -c %i "/proc/$pid/ns/uts")" ]
	# it sees the container's PID 1; the host knows it by another PID (the exec test finds it)
	run -0 md exec web cat /proc/1/comm
	[ "$output" = sh ]

	# stop: SIGTERM, which the trap answers at once, well within the 10 s
	t0=$(ms)
	run -0 md stop -t 10 web
	t1=$(ms)
	[ "$output" = web ]
	[ $((t1 - t0)) -lt 5000 ]
	gone "$pid"
	run -0 insp web .State.Status
	[ "$output" = exited ]
	run -0 insp web .State.ExitCode
	[ "$output" = 0 ]
	run -0 md ps
	[ "${#lines[@]}" -eq 1 ]
	run -0 md ps -a
	[[ "${lines[1]}" =~ ^${ID:0:12}\ .*\ Exited\ \(0\)\ .*\ ago\ +web$ ]]
	run -0 md ps -a -q
	[ "$output" = "${ID:0:12}" ]
	run -0 md rm web
	[ "$output" = web ]
}

@test "stop: a container that ignores SIGTERM is killed after the grace period, exit code 137" {
	local cmd t0 t1
	# a trap that ignores it, and a PID 1 with no handler (the kernel drops the signal)
	for cmd in "trap '' TERM; echo > /t/ready; sleep 1000 & wait" "echo > /t/ready; exec sleep 1000"; do
		rm -f "$T/ready"
		fifos ready
		mdd base sh -c "$cmd"
		wait_fifo ready
		t0=$(ms)
		run -0 md stop -t 1 "$ID"
		t1=$(ms)
		[ "$output" = "$ID" ]
		[ $((t1 - t0)) -ge 1000 ]
		[ $((t1 - t0)) -lt 5000 ]
		run -0 insp "$ID" .State.ExitCode
		[ "$output" = 137 ]
		run -0 md ps -a
		[[ "${lines[1]}" == *"Exited (137) "* ]]
		run -0 md rm "$ID"
	done
}

@test "fds: a detached container, with or without --init, holds only 0, 1 and 2, none of the caller's" {
	local init pid fds
	exec 7</etc/passwd
	for init in "" --init; do
		rm -f "$T/ready"
		fifos ready
		# shellcheck disable=SC2086 # an empty $init is no argument
		mdd $init base sh -c 'probe fds; echo > /t/ready; sleep 1000 & wait'
		wait_fifo ready
		run -0 md logs "$ID"
		[[ "$output" == *"fds=0 1 2 "* ]]
		# from the host: PID 1 (init, or CMD itself) has no fd of ours past 2, not even 7
		pid=$(ctr_pid "$ID")
		fds=$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')
		[ "$fds" = "0 1 2 " ]
		run -0 md rm -f "$ID"
	done
	exec 7<&-
}

@test "run -d returns through a pipe: neither the monitor nor the container keeps the caller's stdout or stderr" {
	local id
	# $(...) waits for end-of-file on its pipe: a holder of our stdout would keep it open for 1000 s
	id=$(timeout -s KILL 10 "$MINIDOCK" --root "$STORE" run -d "${NET[@]}" "${CG[@]}" base \
		sleep 1000 2>&1 3>&-)
	track "$id"
	ID=$id
	run -0 insp "$ID" .State.Status
	[ "$output" = running ]
	run -0 md rm -f "$ID"
}

# logged ID TEXT: the container's log has TEXT by now.
logged() {
	"$MINIDOCK" --root "$STORE" logs "$1" 2>/dev/null | grep -q "$2"
}

@test "run -dit: a terminal of its own keeps a shell alive, its output logged; -d -i alone is refused" {
	local pid
	mdd -it base sh -c 'probe tty; exec sh'
	wait_until 10 logged "$ID" "isatty=1"
	run -0 md logs "$ID"
	[[ "$output" == *"ttyname=/dev/pts/0"* ]]
	# from the host: PID 1 is the shell, still running, its stdin that terminal
	pid=$(ctr_pid "$ID")
	[ "$(readlink "/proc/$pid/fd/0")" = /dev/pts/0 ]
	run -0 insp "$ID" .State.Status
	[ "$output" = running ]
	run -0 md exec "$ID" true
	run -0 md rm -f "$ID"
	run -125 --separate-stderr md run -d -i base sh
	assert_one_line_error
}

@test "rm: refuses a running container without -f; rm -f kills and removes it; rm takes several" {
	mdd --name keep base sleep 1000
	local id=$ID pid a b
	pid=$(ctr_pid "$ID")
	run -1 --separate-stderr md rm keep
	assert_one_line_error
	[ -d "/proc/$pid" ]
	[ -d "$STORE/run/containers/$id" ]
	[ -L "$STORE/run/names/keep" ]
	run -0 insp keep .State.Running
	[ "$output" = true ]
	run -0 md rm -f keep
	[ "$output" = keep ]
	wait_until 5 gone "$pid"
	[ ! -e "$STORE/run/containers/$id" ]
	[ ! -e "$STORE/containers/$id" ]
	[ ! -e "$STORE/run/names/keep" ]
	# exited ones go without -f, several at once, by a unique id prefix too
	mdd base true
	a=$ID
	mdd base true
	b=$ID
	wait_until 10 exited "$a"
	wait_until 10 exited "$b"
	run -0 md rm "${a:0:12}" "$b"
	[ "$output" = "$(printf '%s\n%s' "${a:0:12}" "$b")" ]
	[ -z "$(store_entries)" ]
}

@test "kill: -s USR1 reaches the container's handler; the default, KILL, gives 137" {
	fifos ready
	mdd base sh -c 'trap "echo usr1 >> /t/got" USR1; echo > /t/ready; while :; do sleep 1000 & wait $!; done'
	wait_fifo ready
	run -0 md kill -s USR1 "$ID"
	[ "$output" = "$ID" ]
	wait_until 5 test -s "$T/got"
	run -0 insp "$ID" .State.Running
	[ "$output" = true ]
	run -0 md kill -s SIGUSR1 "$ID"
	got_two() { [ "$(grep -c usr1 "$T/got")" -eq 2 ]; }
	wait_until 5 got_two
	run -0 md kill "$ID"
	wait_until 5 exited "$ID"
	run -0 insp "$ID" .State.ExitCode
	[ "$output" = 137 ]
	# a container that is not running cannot be signalled (Docker's exit code 1)
	run -1 --separate-stderr md kill "$ID"
	assert_one_line_error
	run -0 md rm "$ID"
}

@test "pause: the freezer reports frozen, every task is stopped and a counter stands still; unpause resumes it" {
	mdd base sh -c 'i=0; while :; do i=$((i + 1)); echo $i > /t/counter; sleep 0.01; done'
	wait_until 10 counter_at_least 3
	local d tasks t a b v2=0
	d=$(cg_dir "$ID" freezer)
	[ -n "$d" ] || { d=$(cg_dir "$ID" unified); v2=1; }
	[ -d "$d" ]
	run -0 md pause "$ID"
	[ "$output" = "$ID" ]
	# the kernel's word: the whole cgroup is frozen (v1: freezer.state, v2: cgroup.events)
	if [ "$v2" = 0 ]; then
		[ "$(cat "$d/freezer.state")" = FROZEN ]
		tasks=$(cat "$d/tasks")
	else
		grep -qx 'frozen 1' "$d/cgroup.events"
		tasks=$(cat "$d/cgroup.threads")
	fi
	[ -n "$tasks" ]
	# v1's freezer shows its tasks as "D (disk sleep)" (in __refrigerator) on this kernel, never R or S
	if [ "$v2" = 0 ]; then
		for t in $tasks; do
			[[ "$(host_status_field "$t" State)" == [DT] ]]
		done
	fi
	run -0 insp "$ID" .State.Status
	[ "$output" = paused ]
	run -0 insp "$ID" .State.Paused
	[ "$output" = true ]
	run -0 md ps
	[[ "${lines[1]}" == *" Up "*"(Paused)"* ]]
	# no progress over a bounded window: proving nothing happens takes some time
	a=$(counter)
	sleep 0.3
	b=$(counter)
	[ "$a" = "$b" ]
	run -0 md unpause "$ID"
	[ "$output" = "$ID" ]
	if [ "$v2" = 0 ]; then
		[ "$(cat "$d/freezer.state")" = THAWED ]
	else
		grep -qx 'frozen 0' "$d/cgroup.events"
	fi
	wait_until 5 counter_moved_from "$b"
	run -0 insp "$ID" .State.Paused
	[ "$output" = false ]
	run -0 insp "$ID" .State.Status
	[ "$output" = running ]
	# a paused container is still removed by rm -f (its tasks must be thawed to die)
	run -0 md pause "$ID"
	run -0 md rm -f "$ID"
}

@test "stats: CPU % rises while a container burns CPU, memory shows an allocation, not page cache, PIDS counts; top lists its processes" {
	mdd --name idle base sh -c 'sleep 1000 & sleep 1000 & wait'
	local idle=$ID
	mdd --name busy base probe burn 60000
	local busy=$ID
	mdd --name held --memory 256m base probe hold 64 /t/held
	local held=$ID
	# 64 MiB of page cache: charged to its cgroup, but not its usage as Docker reports it
	mdd --name cached base sh -c 'dd if=/dev/zero of=/big bs=1M count=64 2>/dev/null;
		echo > /t/cached; sleep 1000 & wait'
	local cached=$ID
	wait_until 10 test -e "$T/held"
	wait_until 20 test -e "$T/cached"

	# two readings of each cgroup's CPU time, for all three at once
	stats_rows "$busy" "$idle" "$held" "$cached"
	row "$busy"
	[ "${ROW[1]}" = busy ]
	[[ "${ROW[2]}" =~ ^[0-9.]+%$ ]]
	at_least "${ROW[2]%\%}" 20
	[ "${ROW[-1]}" = 1 ]

	row "$idle"
	[ "${ROW[1]}" = idle ]
	not at_least "${ROW[2]%\%}" 5
	[ "${ROW[-1]}" = 3 ]
	[ "$(mib "${ROW[3]}")" -lt 30 ]

	row "$held"
	[ "${ROW[1]}" = held ]
	[ "$(mib "${ROW[3]}")" -ge 60 ]
	[ "${ROW[4]}" = / ]
	[ "${ROW[5]}" = 256MiB ]
	# 64 of 256 MiB: 25 %
	at_least "${ROW[6]%\%}" 23
	not at_least "${ROW[6]%\%}" 35
	[ "${ROW[-1]}" = 1 ]

	# the file's pages sit on the inactive file list (unless the writable layer is in a
	# tmpfs, where they would be shmem): usage minus inactive_file leaves them out
	row "$cached"
	[ "${ROW[1]}" = cached ]
	[ "${ROW[-1]}" = 2 ]
	if [ "$(stat -f -c %T "$STORE/containers/$cached")" != tmpfs ]; then
		[ "$(mib "${ROW[3]}")" -lt 32 ]
		local d
		d=$(cg_dir "$cached" memory)
		if [ -n "$d" ]; then
			[ "$(cat "$d/memory.usage_in_bytes")" -ge $((60 << 20)) ]
		else
			[ "$(cat "$(cg_dir "$cached" unified)/memory.current")" -ge $((60 << 20)) ]
		fi
	fi

	# top: the container's processes by their host PIDs
	local pid
	pid=$(ctr_pid "$idle")
	run -0 md top idle
	[[ "${lines[0]}" == *PID*CMD* ]]
	[ "${#lines[@]}" -eq 4 ]
	printf '%s\n' "${lines[@]:1}" | awk -v p="$pid" '$2 == p' | grep -q .
	[ "$(printf '%s\n' "${lines[@]:1}" | grep -c 'sleep 1000$')" -eq 2 ]

	run -0 md rm -f idle busy held cached
}

@test "inspect: OOMKilled and 137 after an OOM kill" {
	mdd --memory 32m base probe alloc 128
	wait_until 20 exited "$ID"
	run -0 insp "$ID" .State.OOMKilled
	[ "$output" = true ]
	run -0 insp "$ID" .State.ExitCode
	[ "$output" = 137 ]
	run -0 md ps -a
	[[ "${lines[1]}" == *"Exited (137) "* ]]
	run -0 md rm "$ID"
}

@test "inspect: Docker's JSON; -f '{{.State.Pid}}' is the host PID of the container's PID 1" {
	mdd --name insp base sleep 1000
	run -0 insp insp .State.Pid
	local pid=$output
	[ -d "/proc/$pid" ]
	[ "$pid" = "$(ctr_pid "$ID")" ]
	# NSpid: our PID for it, then 1 in its own PID namespace
	[ "$(awk '$1 == "NSpid:" { print $2 " " $NF }' "/proc/$pid/status")" = "$pid 1" ]
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
	[ "$(host_status_field "$pid" Name)" = sleep ]
	run -0 insp insp .Id
	[ "$output" = "$ID" ]
	run -0 insp insp .Name
	[ "$output" = /insp ]
	run -0 insp insp .State.Status
	[ "$output" = running ]
	run -0 insp insp .State.Running
	[ "$output" = true ]
	run -0 insp insp .State.Paused
	[ "$output" = false ]
	run -0 insp insp .State.OOMKilled
	[ "$output" = false ]
	run -0 insp insp .State.StartedAt
	[[ "$output" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2} ]]
	run -0 insp insp .NetworkSettings.IPAddress
	local ip=$output
	[[ "$ip" =~ ^10\.216\.$X\.[0-9]+$ ]]
	run -0 md exec insp probe info
	[ "$(value addr.eth0)" = "$ip" ]
	# the whole document: a JSON array of one object, in Docker's shape
	run -0 md inspect insp
	if command -v python3 >/dev/null; then
		printf '%s' "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert isinstance(d, list) and len(d) == 1, d
c = d[0]
assert c["Id"] == sys.argv[1] and c["Name"] == "/insp", c
assert c["State"]["Pid"] == int(sys.argv[2]) and c["State"]["Running"] is True, c["State"]
assert c["NetworkSettings"]["IPAddress"] == sys.argv[3], c["NetworkSettings"]
assert c["Config"]["Image"] == "base", c["Config"]
' "$ID" "$pid" "$ip"
	fi
	run -0 md rm -f insp
}

@test "ports: -p 127.0.0.1::CTRPORT reaches a server in the container; md port tells the port" {
	mdd -p 127.0.0.1::8080 base probe listen 8080 /t/listening
	wait_until 10 test -e "$T/listening"
	run -0 md port "$ID" 8080
	[[ "$output" =~ ^127\.0\.0\.1:[0-9]+$ ]]
	local hp=${output##*:}
	[ "$hp" -gt 0 ]
	run -0 md port "$ID"
	[ "$output" = "8080/tcp -> 127.0.0.1:$hp" ]
	run -0 md ps
	[[ "${lines[1]}" == *" 127.0.0.1:$hp->8080/tcp "* ]]
	# the proxy listens on loopback only
	listening 0100007F "$hp"
	not listening 00000000 "$hp"
	run -0 "$ROOTFS/bin/probe" connect 127.0.0.1 "$hp"
	[ "$output" = "received=hello from probe" ]
	# the server accepts one connection and exits; the proxy goes with it
	wait_until 10 exited "$ID"
	run -0 insp "$ID" .State.ExitCode
	[ "$output" = 0 ]
	not_listening() { ! listening 0100007F "$hp"; }
	wait_until 5 not_listening
	run -0 md rm "$ID"
}

@test "commit: a new image with the writable layer on top: the new file, not the deleted one, the opaque dir" {
	fifos ready
	mdd base sh -c 'echo committed > /keep; rm /etc/minidock-release; rm -rf /var; mkdir /var;
		echo new > /var/only; echo > /t/ready; sleep 1000 & wait'
	wait_fifo ready
	local d
	d=$(cg_dir "$ID" freezer)
	run -0 md commit "$ID" snap
	# paused for the copy, as Docker does, and running again after it
	run -0 insp "$ID" .State.Status
	[ "$output" = running ]
	[ -z "$d" ] || [ "$(cat "$d/freezer.state")" = THAWED ]
	run -0 md images
	[[ "$output" == *snap* ]]
	run -0 mrun --network none snap sh -c 'cat /keep; test -e /etc/minidock-release && echo present || echo absent; ls -A /var'
	[ "$output" = "$(printf 'committed\nabsent\nonly')" ]
	# the image it came from is unchanged
	run -0 mrun --network none base sh -c 'test -e /keep || echo no-keep; cat /etc/minidock-release; ls /var'
	[ "$output" = "$(printf 'no-keep\nminidock rootfs\ntmp')" ]
	run -0 md rm -f "$ID"
	run -0 md rmi snap
}

# kill_monitor: SIGKILL the monitor of container ID (its PID in mon); PID 1 must die with it.
kill_monitor() {
	local pid
	mon=$(monitor "$ID")
	pid=$(ctr_pid "$ID")
	kill -KILL "$mon"
	wait_until 10 gone "$pid"
}

@test "monitor killed: the container dies with it, is reported exited, and rm cleans all of it" {
	mdd --name orphan base sleep 1000
	local mon
	kill_monitor
	run -0 insp orphan .State.Status
	[ "$output" = exited ]
	run -0 insp orphan .State.Running
	[ "$output" = false ]
	run -0 md ps
	[ "${#lines[@]}" -eq 1 ]
	run -0 md ps -a
	[[ "${lines[1]}" =~ ^${ID:0:12}\ .*\ Exited\ \(unknown\)\ .*\ orphan$ ]]
	run -0 md rm orphan
	[ ! -e "$STORE/run/containers/$ID" ]
	[ ! -e "$STORE/containers/$ID" ]
	[ ! -e "$STORE/run/names/orphan" ]
	no_cgroups "$mon"
}

@test "monitor killed: prune cleans what it left, and leaves a live container alone" {
	mdd --name live base sleep 1000
	local live=$ID live_pid
	live_pid=$(ctr_pid "$ID")
	mdd --name orphan base sleep 1000
	local mon
	kill_monitor
	run -0 md prune
	[ ! -e "$STORE/run/containers/$ID" ]
	[ ! -e "$STORE/containers/$ID" ]
	[ ! -e "$STORE/run/names/orphan" ]
	no_cgroups "$mon"
	# the live one keeps running, with everything of its own
	[ -d "/proc/$live_pid" ]
	not gone "$live_pid"
	[ -d "$STORE/run/containers/$live" ]
	[ -L "$STORE/run/names/live" ]
	[ -n "$(cgroups_of "$(monitor "$live")")" ]
	run -0 insp live .State.Running
	[ "$output" = true ]
	run -0 md rm -f live
}

@test "twenty: run -d twenty times at once: unique names and addresses; all stop cleanly" {
	local i p bad=0 pids=() id
	for i in $(seq 1 20); do
		timeout -s KILL 40 "$MINIDOCK" --root "$STORE" run -d "${NET[@]}" base sh -c \
			'trap "exit 0" TERM; sleep 1000 & wait' >"$T/id.$i" 2>"$T/err.$i" 3>&- &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || bad=$((bad + 1))
	done
	for i in $(seq 1 20); do
		track "$(cat "$T/id.$i")" || true
	done
	[ "$bad" -eq 0 ] || {
		cat "$T"/err.* >&2
		false
	}
	[ "${#IDS[@]}" -eq 20 ]
	[ "$(printf '%s\n' "${IDS[@]}" | sort -u | wc -l)" -eq 20 ]
	for id in "${IDS[@]}"; do
		insp "$id" .Name
	done >"$T/names"
	[ "$(sort -u "$T/names" | wc -l)" -eq 20 ]
	# Docker's adjective_noun names
	not grep -vE '^/[a-z]+_[a-z]+[0-9]*$' "$T/names"
	for id in "${IDS[@]}"; do
		insp "$id" .NetworkSettings.IPAddress
	done >"$T/ips"
	[ "$(sort -u "$T/ips" | wc -l)" -eq 20 ]
	not grep -vE "^10\\.216\\.$X\\.[0-9]+\$" "$T/ips"
	[ "$(veths | wc -l)" -eq 20 ]
	run -0 md ps -q
	[ "${#lines[@]}" -eq 20 ]
	run -0 md stop "${IDS[@]}"
	[ "${#lines[@]}" -eq 20 ]
	for id in "${IDS[@]}"; do
		insp "$id" .State.ExitCode
	done >"$T/codes"
	[ "$(sort -u "$T/codes")" = 0 ]
	run -0 md rm "${IDS[@]}"
	[ -z "$(store_entries)" ]
}

@test "errors: duplicate name, bad -p, exec into a stopped container, unknown container: one line, Docker's code, nothing created" {
	mdd --name dup base sleep 1000
	local live=$ID before p c
	before=$(store_entries | sort)
	run -125 --separate-stderr md run -d "${NET[@]}" --name dup base true
	assert_one_line_error
	[[ "$stderr" == *"already in use"* ]]
	[ "$(store_entries | sort)" = "$before" ]
	for p in 127.0.0.1::99999 abc 127.0.0.1:99999:80 300.1.1.1::80; do
		run -125 --separate-stderr md run -d "${NET[@]}" -p "$p" base true
		assert_one_line_error
		[[ "$stderr" == *"$p"* ]]
		[ "$(store_entries | sort)" = "$before" ]
	done
	[ "$(readlink "$STORE/run/names/dup")" = "$live" ]

	mdd --name finished base true
	wait_until 10 exited finished
	before=$(store_entries | sort)
	run -1 --separate-stderr md exec finished true
	assert_one_line_error
	[[ "$stderr" == *"not running"* ]]

	for c in "stop %" "rm %" "rm -f %" "logs %" "inspect %" "exec % true" "kill %" "port %" \
		"pause %" "unpause %" "top %" "stats --no-stream %" "commit % nosuchimage"; do
		# shellcheck disable=SC2086
		run -1 --separate-stderr md ${c//%/no-such-ctr}
		assert_one_line_error
		[[ "$stderr" == *"no-such-ctr"* ]]
		[ "$(store_entries | sort)" = "$before" ]
	done
	run -0 md images
	[[ "$output" != *nosuchimage* ]]
	run -0 md rm -f dup finished
}

@test "exec: -e, -w, -u, -i, -t; the exit status is the command's, 126 and 127 as run's" {
	mdd --name fl base sleep 1000
	run -0 md exec -e K=V -e 'S=a b' -w /tmp -u 1234:4321 fl sh -c 'echo "$K|$S"; pwd; id -u; id -g'
	[ "$output" = "$(printf 'V|a b\n/tmp\n1234\n4321')" ]
	# the container's environment, plus -e
	run -0 md exec -e K=V fl env
	[[ "$output" == *"HOSTNAME=${ID:0:12}"* ]]
	[[ "$output" == *"PATH=/usr/local/sbin:"* ]]
	[[ "$output" == *"K=V"* ]]
	run -0 bash -c "echo piped | '$MINIDOCK' --root '$STORE' exec -i fl cat"
	[ "$output" = piped ]
	run -0 bash -c "echo piped | '$MINIDOCK' --root '$STORE' exec fl cat"
	[ "$output" = "" ]
	run -3 md exec fl sh -c 'exit 3'
	run -127 --separate-stderr md exec fl no-such-command
	assert_one_line_error
	run -126 --separate-stderr md exec fl /etc/passwd
	assert_one_line_error
	if command -v script >/dev/null; then
		run -0 script -qec "'$MINIDOCK' --root '$STORE' exec -it fl probe tty" /dev/null
		[[ "$output" == *"isatty=1"* ]]
		[[ "$output" == *"ttyname=/dev/pts/"* ]]
	fi
	run -0 md rm -f fl
}

@test "exec: joins every namespace and the cgroup of PID 1, with its capabilities, seccomp and no_new_privs" {
	fifos ready eready ego
	mdd --name ex base sh -c 'echo > /t/ready; sleep 1000 & wait'
	wait_fifo ready
	local pid epid hp p ns f
	pid=$(ctr_pid "$ID")
	md exec ex sh -c 'echo $$ > /t/epid; echo > /t/eready; read x < /t/ego' 3>&- &
	BG+=("$!")
	wait_fifo eready
	epid=$(cat "$T/epid")
	# the exec'd shell as the host sees it: the process of that namespace with that NSpid
	for p in $(pids_in_ns "$pid"); do
		if [ "$(awk '$1 == "NSpid:" { print $NF }' "/proc/$p/status")" = "$epid" ]; then
			hp=$p
		fi
	done
	[ -n "$hp" ]
	[ "$hp" != "$pid" ]
	[ "$hp" != "$epid" ]
	for ns in uts ipc net pid mnt cgroup user; do
		[ "$(readlink "/proc/$hp/ns/$ns")" = "$(readlink "/proc/$pid/ns/$ns")" ]
	done
	[ "$(cat "/proc/$hp/cgroup")" = "$(cat "/proc/$pid/cgroup")" ]
	for f in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp; do
		[ "$(host_status_field "$hp" "$f")" = "$(host_status_field "$pid" "$f")" ]
	done
	[ "$(host_status_field "$hp" Seccomp)" = 2 ]
	[ "$(host_status_field "$hp" NoNewPrivs)" = 1 ]
	release ego
	wait "${BG[0]}"
	run -0 md rm -f ex
}

@test "logs -f: follows the output as it comes, and ends when the container exits" {
	fifos go
	mdd base sh -c 'echo first; read x < /t/go; echo second >&2; echo third'
	md logs -f "$ID" >"$T/follow" 2>&1 3>&- &
	local lf=$!
	BG+=("$lf")
	wait_until 10 grep -qx first "$T/follow"
	release go
	ended() { ! kill -0 "$lf" 2>/dev/null; }
	wait_until 10 ended
	wait "$lf"
	[ "$(sort "$T/follow" | tr '\n' ' ')" = "first second third " ]
	run -0 md rm "$ID"
}
