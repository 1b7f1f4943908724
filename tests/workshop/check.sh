#!/usr/bin/env bash
# tests/workshop/check.sh NN [EX]: build the participant's program for
# chapter NN (workshop/stepNN/, or the chapter's own program when there is no
# workspace) and check it against the claims of chapters 1..NN (with EX:
# against exercise EX's claims only). Exit 0 only when every claim passes.
#
# WS_DIR=DIR checks the workspace DIR instead of workshop/stepNN; CHECK_BIN=PATH
# checks a program already built (the proof uses both);
# CHECK_RESULTS=FILE keeps the "OUTCOME claim" rows.
set -u
# The claims wait on events with wait -n -p (bash 5.1).
if [ "${BASH_VERSINFO[0]}" -lt 5 ] || { [ "${BASH_VERSINFO[0]}" = 5 ] && [ "${BASH_VERSINFO[1]}" -lt 1 ]; }; then
	echo "check: needs bash 5.1 or newer (wait -n -p); this is bash $BASH_VERSION" >&2
	exit 2
fi
cd "$(dirname "$0")/../.."
. tests/workshop/registry.sh
nn=${1:-} ex=${2:-}
dir=$(reg chapter "$nn" dir 2>/dev/null)
if [ -z "$nn" ] || [ -z "$dir" ]; then
	echo "usage: make check STEP=NN [EX=M] (NN one of: $(reg_names chapter | tr '\n' ' '))" >&2
	exit 2
fi
program=$(reg chapter "$nn" program)
ws=${WS_DIR:-workshop/step$nn}
if [ -n "$ex" ]; then
	files=(tests/workshop/exercises/step$nn-ex$ex.bats)
	[ -f "${files[0]}" ] || {
		echo "check: chapter $nn has no checker for exercise $ex; these have one:" \
			$(ls tests/workshop/exercises/ 2>/dev/null | sed -n "s/^step$nn-ex\([0-9]*\)\.bats$/\1/p") >&2
		exit 2
	}
else
	files=()
	for j in $(seq -w 1 "$nn"); do
		[ -f "tests/workshop/checks/step$j.bats" ] && files+=("tests/workshop/checks/step$j.bats")
	done
fi
state=$(mktemp -d -t minidock-check.XXXXXX)
trap 'rm -rf "$state"' EXIT
results=${CHECK_RESULTS:-$state/results}
: >"$results"

if [ -d "$ws" ] && [ -z "${CHECK_BIN:-}" ]; then
	logs=$ws/check-logs bin=$ws/$program what="your workspace"
	srcs=("$ws/$program.c")
	[ "$nn" = 08 ] && srcs=("$ws"/*.c)
else
	logs=build/workshop/step$nn bin=${CHECK_BIN:-$dir/$program}
	what="the chapter's own program (no workspace: 'make workshop STEP=$nn' makes one)"
	[ -n "${CHECK_BIN:-}" ] && what="a given program"
	srcs=()
fi
rm -rf "$logs"
mkdir -p "$logs"
echo "check| chapter $nn: $(head -n 1 "$dir/README.md" | sed 's/^# *//')"
echo "check| program: $bin ($what)"

# The build is every claim's first prerequisite.
start=$(date +%s%N)
if [ "${#srcs[@]}" -gt 0 ]; then
	flags="${CFLAGS:--O2 -g}"
	[[ $flags == *-Werror* ]] || flags+=" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror"
	read -r -a cflags <<<"$flags"
	cmd=("${CC:-cc}" "${cflags[@]}" "-DDEFAULT_ROOTFS=\"$PWD/build/rootfs\"")
	[ "$nn" = 08 ] && cmd+=(-pthread)
	cmd+=(-o "$bin" "${srcs[@]}")
else
	cmd=(make -s "$bin")
	[ -n "${CHECK_BIN:-}" ] && cmd=(test -x "$bin")
fi
if ! "${cmd[@]}" >"$logs/build.log" 2>&1; then
	printf 'check| %-7s %5.1fs  build: %s\n' FAIL "$(( ($(date +%s%N) - start) / 1000000 ))e-3" "${cmd[*]}"
	grep -m 5 -e 'error' "$logs/build.log" | sed 's/^/check|                  seen:      /'
	echo "check|                  hint:      fix the first error first; the others often follow from it"
	echo "check|                  transcript: $logs/build.log"
	total=0
	for name in $(grep -ho '^@test "[^:]*' "${files[@]}" | sed 's/^@test "//'); do
		echo "BLOCKED $name" >>"$results"
		printf 'check| %-7s %6s  %s  (needs the build)\n' BLOCKED "" "$name"
		total=$((total + 1))
	done
	echo "check| Score: 0/$total"
	exit 1
fi
printf 'check| %-7s %5.1fs  build: %s\n' OK "$(( ($(date +%s%N) - start) / 1000000 ))e-3" "${cmd[*]}"

bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
# Exercises may read more of the participant's files (or the chapter's) there.
export CHECK_WS=$(dirname "$bin")
export CHECK_STATE=$state STEP_BIN=$bin
if [ "$nn" = 08 ]; then
	export MINIDOCK=$bin STEP_BIN=$PWD/tests/tools/minidock-as-step
fi
gate_file=${files[$((${#files[@]} - 1))]}
export CHECK_GATE=$(basename "$gate_file" .bats)-starts
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-60}
{
	# Gates first (a program that cannot start a container blocks the rest),
	# then every other claim in chapter order.
	CHECK_PASS=gates bats --tap --timing "$gate_file"
	CHECK_PASS=claims bats --tap --timing "${files[@]}"
} 2>&1 | awk -v logs="$logs" -v results="$results" -f tests/workshop/format.awk
