#!/usr/bin/env bats
# The checker's own messages (make check), against fixture programs: a wrong
# answer, a starting point, and a workspace that does not build.
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_DIRNAME/../.."
	export WS_DIR="$BATS_TEST_TMPDIR/ws"
}

@test "checker: a wrong answer gets OK and FAIL lines, expected, seen, README, hint, transcript, score" {
	run -1 env CHECK_BIN="$BATS_TEST_DIRNAME/fixtures/keeps-hostname" bash tests/workshop/check.sh 01
	printf '%s\n' "$output"
	# every line is the checker's
	! printf '%s\n' "$output" | grep -v '^check| '
	[[ "$output" =~ "check| OK "\ +[0-9.]+s\ \ step01-starts: ]]
	[[ "$output" =~ "check| FAIL "\ +[0-9.]+s\ \ step01-hostname: ]]
	[[ "$output" =~ "expected:  hostname inside (uname -n) = box-"[0-9a-f]{8} ]]
	[[ "$output" == *"seen:      hostname inside (uname -n) = $(cat /proc/sys/kernel/hostname); exit status 0"* ]]
	[[ "$output" == *'read:      step01-uts/README.md, section "The idea"'* ]]
	[[ "$output" == *"hint:      the container kept the host's hostname"* ]]
	[[ "$output" == *"transcript: build/workshop/step01/step01-hostname.log"* ]]
	[[ "$output" == *"check| Score: 1/3" ]]
	# the transcript keeps the command and the program's own output
	grep -q '^\$ keeps-hostname  -h box-' build/workshop/step01/step01-hostname.log
	grep -q '^  stdout| ' build/workshop/step01/step01-hostname.log
}

@test "checker: the random hostname differs from run to run" {
	run -1 env CHECK_BIN="$BATS_TEST_DIRNAME/fixtures/keeps-hostname" bash tests/workshop/check.sh 01
	local first
	first=$(printf '%s\n' "$output" | grep -o 'box-[0-9a-f]*')
	run -1 env CHECK_BIN="$BATS_TEST_DIRNAME/fixtures/keeps-hostname" bash tests/workshop/check.sh 01
	[ "$first" != "$(printf '%s\n' "$output" | grep -o 'box-[0-9a-f]*')" ]
}

@test "checker: a stub reached fails the gate with the task's name; the rest is blocked, not failed" {
	run -1 env CHECK_BIN="$BATS_TEST_DIRNAME/fixtures/stub" bash tests/workshop/check.sh 02
	printf '%s\n' "$output"
	[ "$(printf '%s\n' "$output" | grep -c '^check| FAIL ')" -eq 1 ]
	[[ "$output" == *"FAIL"*"step02-starts"* ]]
	[[ "$output" == *"hint:      the program stopped at the stub of task step01-clone: write it (TASKS.md)"* ]]
	[[ "$output" =~ "check| BLOCKED "\ +"step02-init-reaps: "[^$'\n']*"(needs step02-starts, which did not pass)" ]]
	[ "$(printf '%s\n' "$output" | grep -c '^check| BLOCKED ')" -eq 7 ]
	[[ "$output" == *"check| Score: 0/8" ]]
}

@test "checker: a claim whose prerequisite failed is blocked, not failed" {
	run -1 env CHECK_BIN="$PWD/step01-uts/uts" bash tests/workshop/check.sh 02
	printf '%s\n' "$output"
	# the previous chapter's program: no --init
	[[ "$output" =~ "check| FAIL "\ +[0-9.]+s\ \ step02-init-status: ]]
	[[ "$output" == *"hint:      the program refused its command line: does it take chapter 02's options?"* ]]
	[[ "$output" =~ "check| BLOCKED "\ +"step02-init-forwards: "[^$'\n']*"(needs step02-init-status, which did not pass)" ]]
}

@test "checker: a workspace that does not build blocks every claim" {
	mkdir -p "$WS_DIR"
	printf 'int main(void) { return undeclared; }\n' >"$WS_DIR/uts.c"
	run -1 bash tests/workshop/check.sh 01
	printf '%s\n' "$output"
	[[ "$output" =~ "check| FAIL "\ +[0-9.]+s\ \ build: ]]
	[[ "$output" == *"seen:      "*"undeclared"* ]]
	[[ "$output" == *"transcript: $WS_DIR/check-logs/build.log"* ]]
	[ "$(printf '%s\n' "$output" | grep -c '^check| BLOCKED .*(needs the build)')" -eq 3 ]
	[[ "$output" == *"check| Score: 0/3" ]]
}

@test "checker: the reference passes with exit 0; a usage mistake gets the usage" {
	run -0 env CHECK_BIN="$PWD/step01-uts/uts" bash tests/workshop/check.sh 01
	[[ "$output" == *"check| Score: 3/3" ]]
	run -2 bash tests/workshop/check.sh 42
	[[ "$output" == *"usage: make check STEP=NN"* ]]
	run -2 bash tests/workshop/check.sh 01 99
	[[ "$output" == *"no checker for exercise 99"* ]]
}

@test "workspace: a stub per task that builds, TASKS.md in order; re-running asks, FORCE=1 replaces" {
	run -0 bash tests/workshop/workspace.sh 01
	[ -f "$WS_DIR/uts.c" ]
	[ "$(grep -c 'workshop_todo("step01-' "$WS_DIR/uts.c")" -eq 2 ]
	! grep -q 'WORKSHOP' "$WS_DIR/uts.c"
	cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$WS_DIR/uts" "$WS_DIR/uts.c"
	run -125 "$WS_DIR/uts" true
	[ "$output" = 'workshop: task step01-clone is not written yet (read step01-uts/README.md, "The idea"; see TASKS.md)' ]
	grep -q '^## Task 1 of 2: `step01-clone`' "$WS_DIR/TASKS.md"
	grep -q '^## Task 2 of 2: `step01-sethostname`' "$WS_DIR/TASKS.md"
	echo mine >"$WS_DIR/mine"
	run -1 bash tests/workshop/workspace.sh 01 </dev/null
	[[ "$output" == *"FORCE=1"* ]]
	[ -f "$WS_DIR/mine" ]
	FORCE=1 run -0 bash tests/workshop/workspace.sh 01
	[ ! -f "$WS_DIR/mine" ]
}

@test "lint: nested, unterminated, unnamed, unknown and oversized regions are refused" {
	local d="$BATS_TEST_TMPDIR/repo"
	mkdir -p "$d/tests/workshop" "$d/step01-uts"
	cp tests/workshop/lint.sh tests/workshop/registry.sh tests/workshop/tasks.txt "$d/tests/workshop/"
	{
		echo '/* WORKSHOP step01-clone: a */'
		echo '/* WORKSHOP step01-sethostname: b */'
		echo 'x;'
		echo '/* END WORKSHOP */'
		echo '/* WORKSHOP: no name */'
		echo '/* WORKSHOP step01-nosuch: c */'
		echo 'x;'
		echo '/* END WORKSHOP */'
		echo '/* WORKSHOP step02-init: d */'
		seq 61 | sed 's/.*/x;/'
		echo '/* END WORKSHOP */'
		echo '/* END WORKSHOP */'
		echo '/* WORKSHOP step02-reap: e */'
	} >"$d/step01-uts/uts.c"
	run -1 bash "$d/tests/workshop/lint.sh"
	printf '%s\n' "$output"
	[[ "$output" == *"uts.c:2: WORKSHOP step01-sethostname nested in step01-clone"* ]]
	[[ "$output" == *"uts.c:5: unnamed marker"* ]]
	[[ "$output" == *"uts.c:6: unknown task step01-nosuch"* ]]
	[[ "$output" == *"uts.c:9: task step02-init is not chapter 01's"* ]]
	[[ "$output" == *"uts.c:71: WORKSHOP region step02-init is 61 lines long (at most 60)"* ]]
	[[ "$output" == *"uts.c:72: END WORKSHOP without a WORKSHOP start"* ]]
	[[ "$output" == *"uts.c:73: WORKSHOP step02-reap is not terminated"* ]]
	[[ "$output" == *"task step03-proc is marked 0 times"* ]]
}
