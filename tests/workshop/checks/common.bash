# Shared by the workshop's claims (tests/workshop/checks/stepNN.bats).
#
# A claim is a bats test named "stepNN-name: what it claims". It checks from
# the host's side, with random values, and on failure prints lines the
# checker (tests/workshop/check.sh) shows: @@expected, @@seen, @@readme,
# @@hint. Everything else a failing claim prints (the commands run and their
# output) goes to its transcript file.
#
# The checked chapter's claim stepNN-starts (CHECK_GATE) is run first: when it
# fails, every other claim is blocked. A claim may also need another one (needs CLAIM): blocked, not run,
# when that one failed. The outcomes are kept in CHECK_STATE (a directory).
bats_require_minimum_version 1.5.0

: "${STEP_BIN:?set STEP_BIN to the program under test}"
: "${CHECK_STATE:?set CHECK_STATE to a state directory}"
REPO=$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)
ROOTFS_SRC=${ROOTFS_SRC:-$REPO/build/rootfs}

setup_file() {
	[ -x "$ROOTFS_SRC/bin/probe" ] || {
		echo "no rootfs at $ROOTFS_SRC (run 'make rootfs')" >&2
		return 1
	}
	# From chapter 3 on the program takes -r ROOTFS: then the container gets
	# a private copy of the rootfs, and reaches the exchange directory as /tmp/x.
	if "$STEP_BIN" --help 2>/dev/null | grep -q -e '--rootfs\b'; then
		export ROOTFS="$BATS_FILE_TMPDIR/rootfs"
		cp -a "$ROOTFS_SRC" "$ROOTFS"
	else
		export ROOTFS=
	fi
	export NETWORK_OPT=
	"$STEP_BIN" --help 2>/dev/null | grep -q -e '--network\b' && NETWORK_OPT=1
	return 0
}

setup() {
	CLAIM=${BATS_TEST_DESCRIPTION%%:*}
	if [ "${CHECK_PASS:-}" = gates ] && [ "$CLAIM" != "${CHECK_GATE:-}" ]; then
		skip "@@later"
	fi
	if [ "${CHECK_PASS:-}" = claims ] && [ "$CLAIM" = "${CHECK_GATE:-}" ]; then
		skip "@@done"
	fi
	local gate=
	[ -s "$CHECK_STATE/gates-failed" ] && gate=$(head -n 1 "$CHECK_STATE/gates-failed")
	if [ -n "$gate" ]; then
		echo "$CLAIM" >>"$CHECK_STATE/failed"
		skip "blocked: needs $gate"
	fi
	if [ -n "$ROOTFS" ]; then
		T="$ROOTFS/tmp/x$BATS_TEST_NUMBER" CT="/tmp/x$BATS_TEST_NUMBER"
		RFLAGS=(-r "$ROOTFS") PROBE=/bin/probe
	else
		T="$BATS_TEST_TMPDIR/x" CT="$T" RFLAGS=() PROBE="$ROOTFS_SRC/bin/probe"
	fi
	# From chapter 6 on the default network is a bridge: the earlier chapters'
	# claims, about other mechanisms, run with --network none.
	XFLAGS=()
	if [ -n "$NETWORK_OPT" ] && [ "${CHAPTER_DIR:4:2}" -lt 6 ]; then
		XFLAGS=(--network none)
	fi
	RFLAGS+=("${XFLAGS[@]}")
	mkdir -p "$T"
	JOB= STATUS=
}

teardown() {
	stop_job
	[ "${BATS_TEST_COMPLETED:-}" = 1 ] && return 0
	[ -n "${BATS_TEST_SKIPPED:-}" ] && return 0
	echo "$CLAIM" >>"$CHECK_STATE/failed"
	[ "$CLAIM" = "${CHECK_GATE:-}" ] && echo "$CLAIM" >>"$CHECK_STATE/gates-failed"
	return 0
}

# needs CLAIM: block this claim when CLAIM failed or was blocked.
needs() {
	if grep -qx -- "$1" "$CHECK_STATE/failed" 2>/dev/null; then
		echo "$CLAIM" >>"$CHECK_STATE/failed"
		skip "blocked: needs $1"
	fi
}

# readme SECTION: the section of this chapter's README the claim is about.
readme() {
	echo "@@readme: $CHAPTER_DIR/README.md, section \"$1\""
}

hint() {
	echo "@@hint: $*"
}

random_name() {
	printf '%s-%04x%04x' "$1" "$RANDOM" "$RANDOM"
}

# run_prog ARGS...: the program in the foreground, at most 20 s; sets status,
# out and err, and prints the transcript.
run_prog() {
	echo "\$ $(basename "$STEP_BIN") ${RFLAGS[*]} $*"
	status=0
	timeout 20 "$STEP_BIN" "${RFLAGS[@]}" "$@" >"$BATS_TEST_TMPDIR/out" \
		2>"$BATS_TEST_TMPDIR/err" </dev/null || status=$?
	out=$(cat "$BATS_TEST_TMPDIR/out")
	err=$(cat "$BATS_TEST_TMPDIR/err")
	printf '%s\n' "$out" | sed 's/^/  stdout| /'
	printf '%s\n' "$err" | sed 's/^/  stderr| /'
	echo "  exit status $status"
}

# start_prog ARGS...: in the background, its pid file in $T/pid, output in
# $T/out and $T/err, the tool's PID in JOB.
start_prog() {
	echo "\$ $(basename "$STEP_BIN") ${RFLAGS[*]} --pid-file $T/pid $* &"
	"$STEP_BIN" "${RFLAGS[@]}" --pid-file "$T/pid" "$@" >"$T/out" 2>"$T/err" </dev/null &
	JOB=$!
}

# hold_cmd: a command for start_prog that signals $T/ready, then waits on $T/go.
hold_cmd() {
	mkfifo "$T/ready" "$T/go"
	# open to a container root that is not the host's (chapter 7)
	chmod 1777 "$T"
	chmod 0666 "$T/ready" "$T/go"
	echo "echo > $CT/ready; read x < $CT/go"
}

# wait_ready: block until the container opened $T/ready (at most 10 s), or
# the program exited before that.
wait_ready() {
	local reader timer done s=0
	cat "$T/ready" >/dev/null &
	reader=$!
	sleep 10 &
	timer=$!
	wait -n -p done "$reader" "$JOB" "$timer" || s=$?
	stop_timer "$timer"
	if [ "$done" = "$reader" ]; then
		return 0
	fi
	# Our own write end gives the reader its end of file.
	: >"$T/ready"
	wait "$reader" 2>/dev/null || true
	echo "@@expected: the container running (its command opens $CT/ready)"
	echo "  the container never signalled it was running; its stderr:"
	sed 's/^/  stderr| /' "$T/err"
	if [ "$done" = "$JOB" ]; then
		JOB= status=$s err=$(cat "$T/err")
		seen "the program exited before the container ran: exit status $s$(first_err)"
	else
		seen "no sign of the container in 10 s"
	fi
	diagnose
	return 1
}

# stop_timer PID: end a background sleep. KILL, not TERM: a TERM that lands
# before the shell forked for it has exec'd sleep runs the test's EXIT trap
# in that shell, and bats reports the test twice.
stop_timer() {
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null || true
}

# wait_job SECS: wait at most SECS for the program to exit; STATUS is its
# exit status. Returns 1 if it is still running.
wait_job() {
	local timer done s=0
	sleep "$1" &
	timer=$!
	wait -n -p done "$JOB" "$timer" || s=$?
	stop_timer "$timer"
	[ "$done" = "$JOB" ] || return 1
	STATUS=$s JOB=
}

# finish_prog: release the container, wait for the tool; STATUS is its status.
finish_prog() {
	timeout 10 sh -c "echo go > '$T/go'" 2>/dev/null
	STATUS=0
	wait "$JOB" || STATUS=$?
	JOB=
	echo "  exit status $STATUS"
}

stop_job() {
	if [ -n "${JOB:-}" ]; then
		[ -s "$T/pid" ] && kill -KILL "$(cat "$T/pid")" 2>/dev/null
		kill -KILL "$JOB" 2>/dev/null
		wait "$JOB" 2>/dev/null
		JOB=
	fi
	return 0
}

first_err() {
	[ -n "$err" ] && printf ', stderr "%s"' "$(printf '%s\n' "$err" | head -n 1)"
}

seen() {
	echo "@@seen: $*"
}

# diagnose: hints from how the last run ended (status and err).
diagnose() {
	local task
	task=$(printf '%s\n' "$err" | sed -n 's/^workshop: task \([^ ]*\) is not written yet.*/\1/p' | head -n 1)
	if [ -n "$task" ]; then
		hint "the program stopped at the stub of task $task: write it (TASKS.md)"
	elif [ "$status" = 125 ] && [[ $err == *"option"* || $err == *"usage"* ]] && [[ $CLAIM == *-ex[0-9]* ]]; then
		hint "the program refused its command line: does it take the option this exercise adds?"
	elif [ "$status" = 125 ] && [[ $err == *"option"* || $err == *"usage"* ]]; then
		hint "the program refused its command line: does it take chapter ${CLAIM:4:2}'s options?"
	elif [ "$status" -gt 128 ] && [ "$status" -lt 160 ] 2>/dev/null; then
		hint "the program (or the command) was killed by signal $((status - 128)): a crash?"
	fi
	return 0
}

# expect WHAT WANT GOT: fail with both shown unless equal.
expect() {
	[ "$2" = "$3" ] && return 0
	echo "@@expected: $1 = $2"
	seen "$1 = ${3:-(nothing)}$( [ -n "${status:-}" ] && echo "; exit status $status$(first_err)")"
	diagnose
	return 1
}

# expect_status WANT: the last run_prog's exit status.
expect_status() {
	[ "$status" = "$1" ] && return 0
	echo "@@expected: exit status $1"
	seen "exit status $status$(first_err)"
	diagnose
	return 1
}
