#!/usr/bin/env bats
# Every command a README shows runs as written and prints what the README
# shows: tests/tools/readme.sh runs the README's ```console blocks in one
# bash session from the repository root (the contract is at its top).
# One test per README; README=step02-pid/README.md bats tests/readme.bats
# runs just that one.
#
# The READMEs need the chapters built and the rootfs made (make all rootfs).

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

# check FILE: run FILE's console blocks (unless README picks another file).
check() {
	if [ -n "${README:-}" ] && [ "${README#./}" != "$1" ]; then
		skip "README=$README picks another file"
	fi
	[ -x "$REPO/build/rootfs/bin/probe" ] || skip "no rootfs (run 'make all rootfs')"
	local rc=0
	bash "$REPO/tests/tools/readme.sh" "$1" > "$BATS_TEST_TMPDIR/out" || rc=$?
	cat "$BATS_TEST_TMPDIR/out"
	# what README_SKIP left out, on bats's own output as well
	grep '^# .*: not run: ' "$BATS_TEST_TMPDIR/out" >&3 || true
	return "$rc"
}

@test "README.md: its console blocks run as shown" { check README.md; }
@test "step01-uts/README.md: its console blocks run as shown" { check step01-uts/README.md; }
@test "step02-pid/README.md: its console blocks run as shown" { check step02-pid/README.md; }
@test "step03-mnt/README.md: its console blocks run as shown" { check step03-mnt/README.md; }
@test "step04-cgroups/README.md: its console blocks run as shown" { check step04-cgroups/README.md; }
@test "step05-overlay/README.md: its console blocks run as shown" { check step05-overlay/README.md; }
@test "step06-net/README.md: its console blocks run as shown" { check step06-net/README.md; }
@test "step07-userns/README.md: its console blocks run as shown" { check step07-userns/README.md; }
@test "step08-full/README.md: its console blocks run as shown" { check step08-full/README.md; }
@test "step08-full/PERFORMANCE.md: its console blocks run as shown" { check step08-full/PERFORMANCE.md; }
@test "tests/vm/README.md: its console blocks run as shown" { check tests/vm/README.md; }

# A README added later must get its test above.
@test "every README has a test here" {
	[ -z "${README:-}" ] || skip "README=$README picks one file"
	local f missing=
	cd "$REPO"
	for f in $(git ls-files '*README.md' '*PERFORMANCE.md' 2>/dev/null || find . -name README.md -not -path './build/*'); do
		f=${f#./}
		grep -q "check $f;" "$BATS_TEST_FILENAME" || missing="$missing $f"
	done
	[ -z "$missing" ] || { echo "no test in tests/readme.bats for:$missing"; return 1; }
}

# The harness itself: the contract's matching rules, and a mismatch reported
# with the README's line, the command and both outputs.
@test "readme.sh: placeholders, ... and one session per README" {
	[ -z "${README:-}" ] || skip "README=$README picks one file"
	cat > "$BATS_TEST_TMPDIR/README.md" <<-'EOF_README'
	```console
	$ x=5; echo "pid=$$ x=$x  "
	pid=<pid> x=5
	$ printf 'a\nb\nc\nd\n'
	...
	b
	...
	$ sleep 1000 &
	```
	```
	$ not run, not a console block
	```
	```console
	$ echo $x \
	  again
	5 again
	```
	EOF_README
	run bash "$REPO/tests/tools/readme.sh" "$BATS_TEST_TMPDIR/README.md"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "readme.sh: README_SKIP leaves out the blocks under a heading, and says so" {
	[ -z "${README:-}" ] || skip "README=$README picks one file"
	printf '%s\n' '# a' '```console' '$ echo 1' '1' '```' '## needs a thing' '```console' \
		'$ false' 'never' '```' '## b' '```console' '$ echo 2' '2' '```' > "$BATS_TEST_TMPDIR/README.md"
	README_SKIP='thing$' README_SKIP_WHY='no thing here' \
		run bash "$REPO/tests/tools/readme.sh" "$BATS_TEST_TMPDIR/README.md"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"not run: 1 commands under '## needs a thing' (no thing here)"* ]]
	run bash "$REPO/tests/tools/readme.sh" "$BATS_TEST_TMPDIR/README.md"
	[ "$status" -eq 1 ]
}

@test "readme.sh: sudo, and a cd outside a subshell, are refused" {
	[ -z "${README:-}" ] || skip "README=$README picks one file"
	printf '%s\n' '```console' '$ cd /tmp' '```' > "$BATS_TEST_TMPDIR/README.md"
	run bash "$REPO/tests/tools/readme.sh" "$BATS_TEST_TMPDIR/README.md"
	[ "$status" -eq 1 ]
	printf '%s\n' '```console' '$ sudo true' '```' > "$BATS_TEST_TMPDIR/README.md"
	run bash "$REPO/tests/tools/readme.sh" "$BATS_TEST_TMPDIR/README.md"
	[ "$status" -eq 1 ]
	printf '%s\n' '```console' '$ ( cd /tmp && pwd )' '/tmp' '```' > "$BATS_TEST_TMPDIR/README.md"
	run bash "$REPO/tests/tools/readme.sh" "$BATS_TEST_TMPDIR/README.md"
	[ "$status" -eq 0 ]
}

@test "readme.sh: a mismatch names the line, the command and both outputs" {
	[ -z "${README:-}" ] || skip "README=$README picks one file"
	printf '%s\n' '# t' '```console' '$ seq 3' '1' '3' '```' > "$BATS_TEST_TMPDIR/README.md"
	run bash "$REPO/tests/tools/readme.sh" "$BATS_TEST_TMPDIR/README.md"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"README.md:3: "* ]]
	[[ $output == *'$ seq 3'* ]]
	[[ $output == *"| 2"* ]]
}
