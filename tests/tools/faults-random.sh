#!/usr/bin/env bash
# tests/tools/faults-random.sh [KILLS [SEED]]: `make test-faults`. KILLS
# (100) random kills of minidock, drawn from SEED (printed; give it back to
# replay the same draws): run -d callers (SIGTERM or SIGKILL), monitors
# (paused or not), exec callers and imports, each at a random moment of
# its first 20 ms. Then ps -a must tell the truth, prune and rm -f must
# leave nothing, and the leak checker (tests/leaks.bash) must find nothing.
set -u
cd "$(dirname "$0")/../.."
REPO=$PWD
KILLS=${1:-100}
SEED=${2:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
MINIDOCK=${MINIDOCK:-$REPO/step08-full/minidock}
ROOTFS_SRC=$REPO/build/rootfs
echo "faults-random: $KILLS kills, seed $SEED (replay: make test-faults SEED=$SEED)"
RANDOM=$SEED

BATS_FILE_TMPDIR=$(mktemp -d /tmp/minidock-faults.XXXXXX)
BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR/t
STORE=$BATS_FILE_TMPDIR/store
mkdir -p "$BATS_TEST_TMPDIR"
trap 'rm -rf "$BATS_FILE_TMPDIR"' EXIT
# shellcheck source=tests/leaks.bash
. "$REPO/tests/leaks.bash"
md() { "$MINIDOCK" --root "$STORE" "$@"; }
# The processes to kill are started as "$MD" ... &, never md ... &: a function in
# the background is a subshell, and $! would be that shell, not minidock.
MD=("$MINIDOCK" --root "$STORE")
md import "$ROOTFS_SRC" base >/dev/null || exit 1
tar -cf "$BATS_FILE_TMPDIR/img.tar" -C "$ROOTFS_SRC" --exclude ./tmp .
leak_snapshot

delay() { sleep "0.0$((RANDOM % 20 / 10))$((RANDOM % 10))"; }

pid_gone() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $1 }')
	[ -z "$st" ] || [ "$st" = Z ]
}

# One container to kill the monitor of, or to exec into.
detached() {
	md run -d --network none base sleep 600 2>/dev/null
}

kinds=(caller-term caller-kill monitor monitor-paused exec import)
declare -A count
for i in $(seq "$KILLS"); do
	kind=${kinds[RANDOM % ${#kinds[@]}]}
	count[$kind]=$((${count[$kind]:-0} + 1))
	case $kind in
	caller-term | caller-kill)
		"${MD[@]}" run -d --network "$( ((RANDOM % 2)) && echo bridge || echo none)" base \
			sleep 600 >/dev/null 2>&1 &
		p=$!
		delay
		kill "-${kind#caller-}" "$p" 2>/dev/null
		wait "$p" 2>/dev/null ;;
	monitor | monitor-paused)
		id=$(detached) || continue
		[ "$kind" = monitor ] || md pause "$id" >/dev/null
		kill -KILL "$(sed -n 's/^owner=\([0-9]*\)-.*/\1/p' "$STORE/run/containers/$id/owner")" ;;
	exec)
		id=${id:-}
		[ -n "$id" ] && [ "$(md inspect -f '{{.State.Status}}' "$id" 2>/dev/null)" = running ] ||
			id=$(detached) || continue
		"${MD[@]}" exec "$id" sleep 600 >/dev/null 2>&1 &
		p=$!
		delay
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null ;;
	import)
		"${MD[@]}" import "$BATS_FILE_TMPDIR/img.tar" "img$i" >/dev/null 2>&1 &
		p=$!
		delay
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		md rmi "img$i" >/dev/null 2>&1 ;;
	esac
done
for k in "${kinds[@]}"; do printf '%s=%s ' "$k" "${count[$k]:-0}"; done
echo

bad=0
# ps -a tells the truth
for id in $(md ps -aq); do
	status=$(md inspect -f '{{.State.Status}}' "$id")
	pid=$(md inspect -f '{{.State.Pid}}' "$id")
	case $status in
	running | paused) { [ "$pid" -gt 0 ] && ! pid_gone "$pid"; } ||
		{ echo "LIE: $id is $status, its PID 1 $pid is gone"; bad=1; } ;;
	*)
		for _ in $(seq 200); do [ "$pid" -le 0 ] || pid_gone "$pid" && break; sleep 0.05; done
		[ "$pid" -le 0 ] || pid_gone "$pid" || { echo "LIE: $id is $status, PID 1 $pid alive"; bad=1; } ;;
	esac
done
md prune >/dev/null || { echo "prune failed"; bad=1; }
for id in $(md ps -q); do md rm -f "$id" >/dev/null || bad=1; done
md prune >/dev/null || { echo "second prune failed"; bad=1; }
[ -z "$(md ps -aq)" ] || { echo "containers left: $(md ps -aq | tr '\n' ' ')"; bad=1; }
leak_check || bad=1
md rmi base >/dev/null
if [ "$bad" = 0 ]; then
	echo "faults-random: seed $SEED: $KILLS kills, ps -a true, nothing leaked"
else
	echo "faults-random: seed $SEED: FAILED"
fi
exit "$bad"
