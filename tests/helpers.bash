# Shared helpers for the chapter tests.
#
# STEP_BIN names the program under test: any chapter's binary, or a learner's
# own. Features are detected from its --help, so chapter N's claims can be
# checked against every later chapter too.

: "${STEP_BIN:?set STEP_BIN to the program under test (see tests/run.sh)}"
REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
ROOTFS_SRC=${ROOTFS_SRC:-$REPO/build/rootfs}

# full_runtime: is the program under test chapter 8's minidock (reached through
# tests/tools/minidock-as-step)? It keeps the chapters' claims except the few
# where Docker's design differs on purpose; those tests say why and skip.
full_runtime() {
	[ -n "${MINIDOCK:-}" ]
}

# has_opt OPTION: does the program under test take OPTION?
has_opt() {
	"$STEP_BIN" --help 2>/dev/null | grep -q -e "$1\\b"
}

# Per file: a private copy of the rootfs, so tests may write into it.
setup_file() {
	[ -x "$ROOTFS_SRC/bin/probe" ] || {
		echo "no rootfs at $ROOTFS_SRC (run 'make rootfs')" >&2
		return 1
	}
	export ROOTFS="$BATS_FILE_TMPDIR/rootfs"
	cp -a "$ROOTFS_SRC" "$ROOTFS"
	echo "host only" > "$BATS_FILE_TMPDIR/host-marker"
}

# Per test: an exchange directory T seen by the host, which the container
# reaches as CT (the same path until the chapter that changes the root).
setup() {
	T="$ROOTFS/tmp/t$BATS_TEST_NUMBER"
	mkdir -p "$T"
	if has_opt --rootfs; then
		CT="/tmp/t$BATS_TEST_NUMBER" PROBE=/bin/probe RFLAGS=(-r "$ROOTFS")
	else
		CT="$T" PROBE="$ROOTFS/bin/probe" RFLAGS=()
	fi
	HOST_MARKER="$BATS_FILE_TMPDIR/host-marker"
	JOB=
}

teardown() {
	stop_job
	assert_no_mounts_of_ours
}

# ctr ARGS...: run the program under test (in the foreground).
ctr() {
	"$STEP_BIN" "${RFLAGS[@]}" "$@"
}

# start_ctr ARGS...: run it in the background with its output in $T/out and
# $T/err and its PID in JOB (the tool itself, so tests can signal it).
start_ctr() {
	"$STEP_BIN" "${RFLAGS[@]}" --pid-file "$T/pid" "$@" >"$T/out" 2>"$T/err" &
	JOB=$!
}

# finish_ctr: wait for the background run; its exit status goes in STATUS.
# (bats' BATS_TEST_TIMEOUT bounds every wait.)
finish_ctr() {
	STATUS=0
	wait "$JOB" || STATUS=$?
	JOB=
}

# A failed test must not leave its container running.
stop_job() {
	if [ -n "${JOB:-}" ]; then
		[ -s "$T/pid" ] && kill -KILL "$(cat "$T/pid")" 2>/dev/null
		kill -KILL "$JOB" 2>/dev/null
		wait "$JOB" 2>/dev/null
		JOB=
	fi
	return 0
}

# wait_fifo NAME: block (at most 10 s) until the container writes to $T/NAME.
wait_fifo() {
	timeout 10 cat "$T/$1" >/dev/null || {
		echo "timed out waiting for the container on $T/$1" >&2
		cat "$T/err" >&2
		return 1
	}
}

# release NAME: unblock the container waiting to read $T/NAME.
release() {
	timeout 10 sh -c "echo go > '$T/$1'"
}

# fifos NAME...: in $T, open to a container's non-root user (-u) too.
fifos() {
	for f in "$@"; do mkfifo -m 0666 "$T/$f"; done
}

# The container's PID as the host sees it.
host_pid() {
	cat "$T/pid"
}

# value KEY: the value of KEY=... in $output (probe's format).
value() {
	printf '%s\n' "$output" | sed -n "s/^$1=//p" | head -n 1
}

# The host's mount table must hold nothing of ours: no mount point under
# this file's temporary directory or the shared rootfs.
assert_no_mounts_of_ours() {
	local m
	m=$(awk -v a="$BATS_FILE_TMPDIR" -v b="$ROOTFS_SRC" \
		'index($5, a) == 1 || index($5, b) == 1 { print $5 }' /proc/self/mountinfo)
	if [ -n "$m" ]; then
		echo "left-over mounts: $m" >&2
		return 1
	fi
}

# pids_in_ns PID: every host PID in the PID namespace of PID.
pids_in_ns() {
	local ns p
	ns=$(readlink "/proc/$1/ns/pid")
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] && echo "${p#/proc/}"
	done
	return 0
}

# zombies_in_ns PID: the zombies among them.
zombies_in_ns() {
	local p
	for p in $(pids_in_ns "$1"); do
		[ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" = Z ] && echo "$p"
	done
	return 0
}

# wait_until SECONDS CMD...
source "${BASH_SOURCE[0]%/*}/wait.bash"

# One line on stderr, naming the problem: the rule for every refusal.
assert_one_line_error() {
	local lines
	lines=$(printf '%s\n' "$stderr" | grep -c .)
	[ "$lines" -eq 1 ] || {
		echo "expected a one-line error, got: $stderr" >&2
		return 1
	}
}

# narrated_in_order REGEX...: each REGEX matches a line of $stderr, in this order.
narrated_in_order() {
	local n=0 at pat
	for pat in "$@"; do
		at=$(printf '%s\n' "$stderr" | grep -nE -- "$pat" | cut -d: -f1 |
			awk -v n="$n" '$1 > n { print; exit }')
		[ -n "$at" ] || {
			echo "no line matching '$pat' after line $n" >&2
			return 1
		}
		n=$at
	done
}
