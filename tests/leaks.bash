# One leak checker for every tests/step08-*.bats file (loaded by
# step08-common.bash): leak_snapshot in setup, leak_check in teardown.
#
# It looks only at what is minidock's, and compares after with before, so
# what other runs left earlier is never blamed on this test:
#   links     mdk* veths (ip link; a file's bridge is its teardown_file's)
#   cgroups   mdk-PID-START directories in every hierarchy, everything beneath a
#             minidock/ parent (an engine's cgroupsPath levels), and which are frozen
#   mounts    beneath the test file's directory, its --root and the shared rootfs
#   leases    /run/minidock/ipam/BRIDGE/ADDRESS files
#   store     names, state directories, writable layers under --root, and
#             layers no image names
#   processes minidock itself ($MINIDOCK: monitors, callers) and every task
#             in a new cgroup of ours
# The kernel removes a veth a moment after its namespace's last process,
# asynchronously (seconds, on a busy machine): links and processes get a
# bounded wait (LEAK_WAIT seconds, 30 by default), the rest none. Tests run under
# /tmp/minidock-tests.lock, so nothing of another run appears meanwhile.

LEAK_WAIT=${LEAK_WAIT:-30}

# Each kind of thing, one per line, sorted.
_leak_links() {
	ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
		grep '^mdk' | sort
}

_leak_cgroups() {
	find /sys/fs/cgroup -maxdepth 12 -type d \( -name 'mdk-*' -o -path '*/minidock/*' \) \
		2>/dev/null | sort
}

_leak_mounts() {
	awk -v a="$BATS_FILE_TMPDIR" -v b="${STORE:-/nonexistent}" -v c="$ROOTFS_SRC" \
		'index($5, a) == 1 || index($5, b) == 1 || index($5, c) == 1 { print $5 }' \
		/proc/self/mountinfo | sort
}

_leak_leases() {
	find /run/minidock/ipam -mindepth 2 -maxdepth 2 ! -name last ! -name lock 2>/dev/null | sort
}

_leak_store() {
	local d l
	{
		for d in run/names run/containers containers; do
			find "${STORE:-/nonexistent}/$d" -mindepth 1 -maxdepth 1 2>/dev/null
		done
		for l in "${STORE:-/nonexistent}"/layers/*; do
			[ -e "$l" ] || continue
			d=${l##*/}
			grep -rqs -- "${d%%.*}" "$STORE/images" || echo "$l"
		done
	} | sort
}

# minidock's own processes (this binary's: other worktrees' are not ours), as PID-START.
_leak_processes() {
	local exe p
	find /proc -mindepth 2 -maxdepth 2 -name exe -lname "$MINIDOCK" 2>/dev/null |
		while read -r exe; do
			p=${exe#/proc/}
			p=${p%/exe}
			p="$p-$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $20 }')"
			# gone between find and sed: no start time, and nothing to report
			[ "${p%-}" = "$p" ] && echo "$p"
		done | sort
}

LEAK_KINDS=(links cgroups mounts leases store processes)

# leak_snapshot: what is there before the test.
leak_snapshot() {
	local k
	mkdir -p "$BATS_TEST_TMPDIR/leaks"
	for k in "${LEAK_KINDS[@]}"; do
		"_leak_$k" >"$BATS_TEST_TMPDIR/leaks/$k"
	done
}

# _leak_new KIND: what is there now and was not before.
_leak_new() {
	comm -13 "$BATS_TEST_TMPDIR/leaks/$1" <("_leak_$1")
}

# The tasks in new cgroups (a container's processes, frozen or not), named with their state.
_leak_tasks() {
	local d p
	for d in $(_leak_new cgroups); do
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
			echo "$p($(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $1 }') $(tr '\0' ' ' \
				<"/proc/$p/cmdline" 2>/dev/null | cut -c1-40))"
		done
	done | sort -u
}

_leak_frozen() {
	local d
	for d in $(_leak_new cgroups); do
		if grep -qs FROZEN "$d/freezer.state" || grep -qs '^1' "$d/cgroup.freeze"; then
			echo "$d"
		fi
	done
}

_leak_settled() {
	[ -z "$(_leak_new links)$(_leak_new processes)$(_leak_tasks)" ]
}

# leak_check: nothing of ours is left that was not there before; names what is.
leak_check() {
	local k new report=""
	[ -d "$BATS_TEST_TMPDIR/leaks" ] || return 0
	local end=$((SECONDS + LEAK_WAIT))
	until _leak_settled || [ "$SECONDS" -ge "$end" ]; do
		sleep 0.05
	done
	for k in "${LEAK_KINDS[@]}"; do
		new=$(_leak_new "$k" | tr '\n' ' ')
		[ -z "$new" ] || report+="  $k: $new"$'\n'
	done
	new=$(_leak_frozen | tr '\n' ' ')
	[ -z "$new" ] || report+="  frozen cgroups: $new"$'\n'
	new=$(_leak_tasks | tr '\n' ' ')
	[ -z "$new" ] || report+="  tasks in them: $new"$'\n'
	rm -rf "$BATS_TEST_TMPDIR/leaks"
	if [ -n "$report" ]; then
		printf 'leaked by this test:\n%s' "$report" >&2
		return 1
	fi
}
