#!/usr/bin/env bash
# tests/tools/sanitize.sh: `make check-sanitize`. Every program built with
# AddressSanitizer and UndefinedBehaviorSanitizer (clang's or gcc's
# -fsanitize=address,undefined) into build/asan/, then each run against
# the same tests as `make test` runs it against (tests/run.sh's rule): a
# chapter against its own and every earlier chapter's, minidock against
# all and its own step08-*.bats. A sanitizer's report makes the program
# exit non-zero (halt_on_error), so the test that ran it fails; the
# reports are kept in build/asan/logs/.
set -u
cd "$(dirname "$0")/../.."
REPO=$PWD
cc=${SAN_CC:-$(command -v clang || echo "${CC:-cc}")}
flags=(-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
	-std=c11 -D_GNU_SOURCE -Wall -Wextra -DDEFAULT_ROOTFS="\"$REPO/build/rootfs\"")
out=build/asan
rm -rf "$out/logs"
mkdir -p "$out/logs"
# ASan's log_path: one file per process, since ASan also warns (harmlessly) about a
# clone(2) child's own stack, which would be a second line on a test's stderr; its errors
# are counted from the files at the end. UBSan reports on stderr: a process in a
# container cannot reach a file outside it, and the test that ran it shows the report.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:log_path=$REPO/$out/logs/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}

failed=0
for src in step0[1-7]-*/*.c; do
	[ -f "$src" ] || continue
	bin=$out/${src%.c}
	mkdir -p "$(dirname "$bin")"
	"$cc" "${flags[@]}" -o "$bin" "$src" || exit 1
done
"$cc" "${flags[@]}" -pthread -o "$out/minidock" step08-full/*.c || exit 1
echo "check-sanitize: built with $cc -fsanitize=address,undefined"

for bin in "$out"/step0[1-7]-*/*; do
	n=$((10#$(echo "$bin" | sed -n 's|.*/step\([0-9][0-9]\)-.*|\1|p')))
	files=()
	for j in $(seq 1 "$n"); do
		f=$(printf 'tests/step%02d.bats' "$j")
		[ -f "$f" ] && files+=("$f")
	done
	echo "== sanitized chapter $n: $bin"
	STEP_BIN=$REPO/$bin bats --tap "${files[@]}" || failed=$((failed + 1))
done
echo "== sanitized minidock"
MINIDOCK=$REPO/$out/minidock STEP_BIN=$REPO/tests/tools/minidock-as-step \
	bats --tap tests/step0[1-7].bats tests/step08-*.bats || failed=$((failed + 1))
if grep -l -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error' \
	"$out"/logs/* 2>/dev/null; then
	echo "check-sanitize: sanitizer reports in the files above"
	failed=$((failed + 1))
fi
echo "check-sanitize: $failed failed runs"
[ "$failed" = 0 ]
