#!/usr/bin/env bash
# tests/run.sh BIN...: test each chapter binary (stepNN-*/name) against its
# own chapter's tests and every earlier chapter's: a chapter keeps all the
# claims of the chapters before it.
set -u
cd "$(dirname "$0")/.."
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-60}
log=$(mktemp -t minidock-test.XXXXXX)
trap 'rm -f "$log"' EXIT
failed_runs=0
for bin in "$@"; do
	n=$((10#$(echo "$bin" | sed -n 's/^step\([0-9][0-9]\)-.*/\1/p')))
	files=()
	for j in $(seq 1 "$n"); do
		f=$(printf 'tests/step%02d.bats' "$j")
		[ -f "$f" ] && files+=("$f")
	done
	echo "== chapter $n: $bin against ${files[*]}"
	STEP_BIN="$PWD/$bin" bats --tap "${files[@]}" | tee -a "$log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || failed_runs=$((failed_runs + 1))
done
passed=$(grep -c '^ok ' "$log")
skipped=$(grep -c '^ok .* # skip' "$log")
failed=$(grep -c '^not ok ' "$log")
echo "make test: $((passed - skipped)) passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$failed_runs" -eq 0 ]
