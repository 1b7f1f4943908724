#!/usr/bin/env bash
# tests/run.sh BIN...: test each chapter binary against its own chapter's
# tests and every earlier chapter's (a chapter keeps all earlier claims).
# With --last, only the last binary is tested.
set -u
cd "$(dirname "$0")/.."
only_last=0
[ "${1:-}" = --last ] && { only_last=1; shift; }
bins=("$@")
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-60}
log=$(mktemp -t minidock-test.XXXXXX)
trap 'rm -f "$log"' EXIT
failed_runs=0
for i in "${!bins[@]}"; do
	[ "$only_last" = 1 ] && [ "$i" -ne $((${#bins[@]} - 1)) ] && continue
	n=$((i + 1))
	files=()
	for j in $(seq 1 "$n"); do
		f=$(printf 'tests/step%02d.bats' "$j")
		[ -f "$f" ] && files+=("$f")
	done
	echo "== chapter $n: ${bins[$i]} against ${files[*]}"
	STEP_BIN="$PWD/${bins[$i]}" bats --tap "${files[@]}" | tee -a "$log" || failed_runs=$((failed_runs + 1))
done
passed=$(grep -c '^ok ' "$log" | tr -d ' ')
skipped=$(grep -c '^ok .* # skip' "$log" | tr -d ' ')
failed=$(grep -c '^not ok ' "$log" | tr -d ' ')
echo "make test: $((passed - skipped)) passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$failed_runs" -eq 0 ]
