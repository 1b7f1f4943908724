# Shared by tests/engines/*.bats: a real container engine, started by the
# test itself with every directory and socket beneath one temporary
# directory ($ENG), drives minidock-oci in runc's place. Around every test
# the leak checker (../leaks.bash) looks for minidock's leftovers; after the
# file, engine_teardown_file checks that nothing of the engine is left (no
# process naming $ENG, no mount beneath it) and that the host's firewall
# and links are as they were.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
ROOTFS_SRC=${ROOTFS_SRC:-$REPO/build/rootfs}
OCI_BIN=$REPO/step08-full/minidock-oci
# the leak checker finds minidock's processes by their executable, the link's target
MINIDOCK=$(readlink -f "$REPO/step08-full/minidock")
load ../leaks
load daemon

# engine_setup_file PROGRAM...: skip the file (saying why) unless every PROGRAM
# is installed; then $ENG, the rootfs as a tarball, and the host's network as it is.
engine_setup_file() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null ||
			skip "$p is not installed (make test-engines installs it: tests/engines/install.sh)"
	done
	[ -x "$ROOTFS_SRC/bin/probe" ] || skip "no rootfs at $ROOTFS_SRC (make rootfs)"
	[ -x "$OCI_BIN" ] || skip "no $OCI_BIN (make)"
	# short: containerd's and dockerd's sockets live here (unix(7): 108 bytes)
	ENG=$(mktemp -d /tmp/minidock-eng.XXXXXX)
	export ENG
	tar -C "$ROOTFS_SRC" -cf "$ENG/rootfs.tar" .
	host_network >"$ENG/network.before"
}

# What an engine must leave as it found it: firewall rules, links, routes
# (a minidock bridge's carrier, which other runs change, aside).
host_network() {
	nft list ruleset 2>/dev/null
	! command -v iptables >/dev/null || iptables -S 2>/dev/null
	ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
	ip route show | sed 's/ linkdown$//'
}

# Processes that name $ENG on their command line: the engine's, its shims, conmon.
engine_processes() {
	local f c
	for f in /proc/[0-9]*/cmdline; do
		c=$(tr '\0' ' ' <"$f" 2>/dev/null)
		[[ $c != *"$ENG"* ]] || echo "${f#/proc/} $c"
	done
}

# After the engine is stopped: nothing of it left, the host as it was.
engine_teardown_file() {
	local bad=0 left m
	[ -n "${ENG:-}" ] && [ -d "$ENG" ] || return 0
	left=$(engine_processes)
	[ -z "$left" ] || { echo "left-over engine processes: $left" >&2; bad=1; }
	m=$(awk -v a="$ENG" 'index($5, a) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
	if [ -n "$m" ]; then
		echo "left-over mounts: $m" >&2
		bad=1
		for p in $m; do umount -l "$p"; done
	fi
	if ! host_network | diff "$ENG/network.before" - >&2; then
		echo "the engine changed the host's firewall, links or routes" >&2
		bad=1
	fi
	rm -rf "$ENG"
	return "$bad"
}

setup() {
	T=$BATS_TEST_TMPDIR
	leak_snapshot
}

teardown() {
	leak_check
}

# in_container_pid_ns PID: is PID in a PID namespace of its own (not ours)?
in_own_pid_ns() {
	[ -d "/proc/$1" ] && [ "$(readlink "/proc/$1/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
}

# memory_limit PID: the memory limit of PID's cgroup, read on the host (v1 or v2).
memory_limit() {
	local v1 v2
	v1=$(sed -n 's/^[0-9]*:\([^:]*,\)*memory\(,[^:]*\)*:\(.*\)/\3/p' "/proc/$1/cgroup")
	if [ -n "$v1" ]; then
		cat "/sys/fs/cgroup/memory$v1/memory.limit_in_bytes"
	else
		v2=$(sed -n 's/^0:://p' "/proc/$1/cgroup")
		cat "/sys/fs/cgroup$v2/memory.max" 2>/dev/null || cat "/sys/fs/cgroup/unified$v2/memory.max"
	fi
}

# wait_until SECONDS COMMAND...
source "${BASH_SOURCE[0]%/*}/../wait.bash"

# run_basics ENGINE: ENGINE run --rm (a function taking podman/docker's arguments):
# stdout and stderr apart, the exit code, -e, -w, -u, runc's not-found as 127,
# and no container left. RUN_OPTS and IMG are the file's.
run_basics() {
	local eng=$1
	run -3 --separate-stderr "$eng" run --rm "${RUN_OPTS[@]}" "$IMG" sh -c 'echo out; echo err >&2; exit 3'
	[ "$output" = out ]
	[ "$stderr" = err ]
	run "$eng" run --rm "${RUN_OPTS[@]}" -e FOO=bar -w /tmp -u 1000:1001 "$IMG" \
		sh -c 'echo "$FOO $(pwd) $(id -u) $(id -g)"'
	[ "$status" -eq 0 ]
	[ "$output" = "bar /tmp 1000 1001" ]
	run -127 "$eng" run --rm "${RUN_OPTS[@]}" "$IMG" /no/such/program
	[ -z "$("$eng" ps -aq)" ]
}
