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
# Reports go to files (log_path: one per process, PATH.PID), counted at the end, so
# they never add a line to the stderr a test checks. minidock's own processes write
# them by absolute path; one in a container cannot reach it, and its report attempt
# fails with a line on stderr and a non-zero exit, which the test shows.
# The chapters run their child on a static clone(2) stack, which ASan does not know:
# it warns at the first noreturn call made there (exit after a failed exec, under
# --init) - a report, though no error. They keep every inherited descriptor, so they
# write through one to the log directory, which /proc/self/fd/N reaches from inside a
# container too (once /proc is mounted), whoever the container's root is (mode 1777).
# (In-container processes share PIDs 1 and 2 across containers: a later report of
# the same PID replaces an earlier one.)
exec {logs}<"$out/logs"
chmod 1777 "$out/logs"
asan="detect_leaks=1:halt_on_error=1"
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
	ASAN_OPTIONS="$asan:log_path=/proc/self/fd/$logs/asan" STEP_BIN=$REPO/$bin \
		bats --tap "${files[@]}" || failed=$((failed + 1))
done
echo "== sanitized minidock"
ASAN_OPTIONS="$asan:log_path=$REPO/$out/logs/asan" MINIDOCK=$REPO/$out/minidock \
	STEP_BIN=$REPO/tests/tools/minidock-as-step \
	bats --tap tests/step0[1-7].bats tests/step08-*.bats || failed=$((failed + 1))
if grep -l -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error' \
	"$out"/logs/* 2>/dev/null; then
	echo "check-sanitize: sanitizer reports in the files above"
	failed=$((failed + 1))
fi
echo "check-sanitize: $failed failed runs"
[ "$failed" = 0 ]
