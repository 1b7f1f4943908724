#!/usr/bin/env bash
# tests/run.sh BIN... [readmes]: test each chapter binary (stepNN-*/name)
# against its own chapter's tests and every earlier chapter's: a chapter keeps
# all the claims of the chapters before it. "readmes" then runs every
# README's console blocks (tests/readme.bats).
set -u
cd "$(dirname "$0")/.."
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-60}
log=$(mktemp -t minidock-test.XXXXXX)
trap 'rm -f "$log"' EXIT
failed_runs=0
# The chapter-6 default bridge is shared and stays by design; remove it
# afterwards only if these tests were the ones that made it.
had_bridge=0
ip link show minidock0 >/dev/null 2>&1 && had_bridge=1
readmes=0
for bin in "$@"; do
	if [ "$bin" = readmes ]; then
		readmes=1
		continue
	fi
	n=$((10#$(echo "$bin" | sed -n 's/^step\([0-9][0-9]\)-.*/\1/p')))
	files=()
	for j in $(seq 1 "$n"); do
		f=$(printf 'tests/step%02d.bats' "$j")
		[ -f "$f" ] && files+=("$f")
	done
	step_bin=$PWD/$bin
	# Chapter 8's minidock has Docker's CLI: the chapters' tests reach it
	# through an adapter, and its own tests (step08-*.bats) call it directly.
	if [ "$n" -eq 8 ]; then
		step_bin=$PWD/tests/tools/minidock-as-step
		export MINIDOCK="$PWD/$bin"
		for f in tests/step08*.bats; do
			[ -f "$f" ] && files+=("$f")
		done
	fi
	echo "== chapter $n: $bin against ${files[*]}"
	STEP_BIN="$step_bin" bats --tap "${files[@]}" | tee -a "$log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || failed_runs=$((failed_runs + 1))
done
if [ "$readmes" = 1 ]; then
	echo "== READMEs: tests/readme.bats"
	BATS_TEST_TIMEOUT=600 bats --tap tests/readme.bats | tee -a "$log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || failed_runs=$((failed_runs + 1))
fi
if [ "$had_bridge" = 0 ] && ip link show minidock0 >/dev/null 2>&1; then
	sh tests/tools/clean-net.sh minidock0 >/dev/null || echo "run.sh: could not remove minidock0"
fi
passed=$(grep -c '^ok ' "$log")
skipped=$(grep -c '^ok .* # skip' "$log")
failed=$(grep -c '^not ok ' "$log")
echo "make test: $((passed - skipped)) passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$failed_runs" -eq 0 ]
