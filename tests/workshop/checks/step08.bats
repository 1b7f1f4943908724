#!/usr/bin/env bats
# Workshop claims of chapter 8's slice: minidock's capability lock-down and
# seccomp filter (step08-full/security.c), read on the host.
load common
CHAPTER_DIR=step08-full
: "${MINIDOCK:?set MINIDOCK to the minidock under test}"

eval "chapter_$(declare -f setup_file)"
setup_file() {
	chapter_setup_file
	export STORE="$BATS_FILE_TMPDIR/store"
	"$MINIDOCK" --root "$STORE" import "$ROOTFS_SRC" base >/dev/null
}

# md_hold ARGS...: a --rm container of base that waits; the host reads FIELD
# lines of its /proc/PID/status into $fields.
md_hold() {
	local f
	hold_cmd >/dev/null
	echo "\$ minidock run --rm -v $T:/t --pid-file $T/pid $* base sh -c '...' &"
	"$MINIDOCK" --root "$STORE" run --rm -v "$T:/t" --pid-file "$T/pid" "$@" base \
		sh -c 'echo > /t/ready; read x < /t/go' >"$T/out" 2>"$T/err" </dev/null &
	JOB=$!
	wait_ready
	fields=
	for f in CapBnd CapEff CapPrm NoNewPrivs Seccomp; do
		fields+="$f=$(awk -v f="$f:" '$1 == f { print $2 }' "/proc/$(cat "$T/pid")/status") "
	done
	echo "  on the host: $fields"
	finish_prog
}

field() {
	printf '%s\n' $fields | sed -n "s/^$1=//p"
}

@test "step08-starts: minidock runs a command and its exit status comes back" {
	readme "Security defaults, and why"
	local code=$((RANDOM % 100 + 1))
	echo "\$ minidock run --rm base sh -c 'exit $code'"
	status=0
	err=$("$MINIDOCK" --root "$STORE" run --rm base sh -c "exit $code" 2>&1 >/dev/null) || status=$?
	expect_status "$code"
}

@test "step08-caps: with a random --cap-drop, the bounding, permitted and effective sets are Docker's 14 minus it" {
	readme "Security defaults, and why"
	local names=(CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP
		NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE)
	local bits=(0 1 4 3 27 13 6 7 31 10 18 5 29)
	local i=$((RANDOM % ${#names[@]})) want
	want=$(printf '%016x' $((0xa80425fb & ~(1 << ${bits[$i]}))))
	md_hold --cap-drop "${names[$i]}"
	if [ "$(field CapBnd)" = 000001ffffffffff ] || [ "$(field CapBnd)" = 0000003fffffffff ]; then
		hint "the bounding set is still full: drop (PR_CAPBSET_DROP) every capability the container is not to keep, up to cap_last_cap"
	fi
	expect "CapBnd (dropped ${names[$i]})" "$want" "$(field CapBnd)"
	expect "CapPrm" "$want" "$(field CapPrm)"
	expect "CapEff" "$want" "$(field CapEff)"
}

@test "step08-seccomp: the filter is on; keyctl and mount get EPERM, fork and threads work" {
	readme "Security defaults, and why"
	md_hold
	if [ "$(field Seccomp)" != 2 ]; then
		hint "no filter installed: build the BPF program and load it with prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) after no_new_privs"
	fi
	expect "Seccomp in /proc/PID/status" 2 "$(field Seccomp)"
	echo "\$ minidock run --rm --cap-add SYS_ADMIN base probe seccomp"
	out=$("$MINIDOCK" --root "$STORE" run --rm --cap-add SYS_ADMIN base probe seccomp 2>&1)
	echo "$out" | sed 's/^/  stdout| /'
	expect "keyctl, mount, fork, thread (probe seccomp)" "EPERM EPERM ok ok" \
		"$(printf '%s\n' "$out" | sed -n 's/^\(keyctl\|mount\|fork\|thread\)=//p' | tr '\n' ' ' | sed 's/ $//')"
}

@test "step08-unconfined: --security-opt seccomp=unconfined turns the filter off, no_new_privs stays" {
	readme "Security defaults, and why"
	md_hold --security-opt seccomp=unconfined
	expect "Seccomp" 0 "$(field Seccomp)"
	expect "NoNewPrivs" 1 "$(field NoNewPrivs)"
}
