#!/usr/bin/env bash
# tests/tools/valgrind.sh: `make check-valgrind`. valgrind's memcheck on a
# run/exec/stop/rm cycle, in a store of its own: every command below runs
# under memcheck (--error-exitcode: any invalid access, use of an
# uninitialised value or definite leak fails it). The container's own
# start (`run` past its checks) runs natively: valgrind 3.19 knows neither
# fsopen(2) nor pidfd_open(2) (syscalls 430 and 434), and minidock needs
# the first; `make check-sanitize` covers that path with ASan instead.
set -u
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "check-valgrind: skipped: no valgrind (apt-get install valgrind)"; exit 0; }
M=$PWD/step08-full/minidock
S=$(mktemp -d /tmp/minidock-valgrind.XXXXXX)
trap 'rm -rf "$S"' EXIT
vg() {
	timeout 300 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		"$M" --root "$S" "$@" >/dev/null 2>"$S/err"
	local st=$?
	grep -v -e 'unhandled amd64-linux syscall' -e 'write your own handler' \
		-e 'README_MISSING_SYSCALL' -e 'we consider this a bug' -e 'bug_reports.html' \
		"$S/err" >"$S/err.vg" || true
	if [ "$st" = 99 ]; then
		echo "check-valgrind: memcheck errors in: minidock $*"
		cat "$S/err.vg"
		bad=1
	fi
	n=$((n + 1))
}
bad=0 n=0
vg import build/rootfs base
vg run --rm --cpus 0x10 base true
vg run --rm -v x:/dev base true
id=$("$M" --root "$S" run -d --network none base sleep 600) || exit 1
for c in "exec $id true" "ps -a" "inspect $id" "logs $id" "top $id" "stats --no-stream $id" \
	"pause $id" "unpause $id" "kill -s usr1 $id" "stop -t 1 $id" "commit $id img" "rm $id" "rmi img" "prune" "images"; do
	# shellcheck disable=SC2086
	vg $c
done
vg rmi base
echo "check-valgrind: $n commands under memcheck, $([ "$bad" = 0 ] && echo "no errors" || echo FAILED)"
exit "$bad"
