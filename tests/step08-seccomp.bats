#!/usr/bin/env bats
# Chapter 8 claims, seccomp profiles (seccomp-profile.c): a profile in the
# OCI runtime spec's form, from `run --security-opt seccomp=FILE` or
# config.json's linux.seccomp, is compiled to BPF and bites: each
# comparison on a 64-bit argument, each action, the default action; a bad
# profile gets one clear error before anything is made.
bats_require_minimum_version 1.5.0
load helpers
load step08-common

# profile DEFAULT RULES...: a profile file with those rules; its path in $PROFILE.
profile() {
	local default=$1 rules
	shift
	rules=$(IFS=,; echo "$*")
	PROFILE=$T/profile.json
	printf '{"defaultAction": "%s", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
	  "syscalls": [%s]}\n' "$default" "$rules" >"$PROFILE"
}

# personality(2) with the value in its first argument: a call any value of
# which is harmless, and 0xffffffff only asks.
VALUES="0 5 0x100000004 0x100000005 0x100000006 0x200000000 0xffffffff"

# holds OP ARG: does ARG OP 0x100000005 hold (unsigned 64-bit, all below 2^63)?
holds() {
	local a=$(($2)) v=$((0x100000005))
	case $1 in
	EQ) ((a == v)) ;; NE) ((a != v)) ;; GT) ((a > v)) ;; GE) ((a >= v)) ;;
	LT) ((a < v)) ;; LE) ((a <= v)) ;;
	MASKED_EQ) (((a & 0x1000000ff) == 0x100000005)) ;;
	esac
}

@test "seccomp profile: each comparison of a 64-bit argument refuses exactly the values it names" {
	local op want got v cmd="" rule
	for v in $VALUES; do cmd="$cmd probe personality $v;"; done
	for op in EQ NE GT GE LT LE MASKED_EQ; do
		rule='{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
		  "args": [{"index": 0, "value": 4294967301, "op": "SCMP_CMP_'$op'"}]}'
		# MASKED_EQ: value is the mask, valueTwo what the masked argument must be
		[ "$op" = MASKED_EQ ] && rule='{"names": ["personality"], "action": "SCMP_ACT_ERRNO",
		  "args": [{"index": 0, "value": 4294967551, "valueTwo": 4294967301,
		  "op": "SCMP_CMP_MASKED_EQ"}]}'
		profile SCMP_ACT_ALLOW "$rule"
		run -0 --separate-stderr mrun --network none --security-opt "seccomp=$PROFILE" base \
			sh -c "$cmd"
		want="" got=$(printf '%s\n' "$output" | sed 's/^personality=//' | tr '\n' ' ')
		for v in $VALUES; do
			if holds "$op" "$v"; then want="${want}EPERM "; else want="${want}ok "; fi
		done
		echo "$op: want $want got $got"
		[ "$got" = "$want" ]
	done
}

@test "seccomp profile: errnoRet is the errno; without args a rule takes every call of its names" {
	profile SCMP_ACT_ALLOW '{"names": ["no_such_call", "personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22}'
	run -0 mrun --network none --security-opt "seccomp=$PROFILE" base sh -c \
		'probe personality 0xffffffff; probe personality 0'
	[ "$output" = "$(printf 'personality=EINVAL\npersonality=EINVAL')" ]
	# the negative control: the same run without the profile
	run -0 mrun --network none base probe personality 0xffffffff
	[ "$output" = personality=ok ]
}

@test "seccomp profile: SCMP_ACT_KILL_PROCESS ends the command by SIGSYS (exit 159)" {
	profile SCMP_ACT_ALLOW '{"names": ["personality"], "action": "SCMP_ACT_KILL_PROCESS"}'
	run -159 mrun --network none --security-opt "seccomp=$PROFILE" base probe personality 0
}

@test "seccomp profile: defaultAction applies to every call no rule names; the first match wins" {
	# LOG lets everything through (and logs): the rules decide only personality
	profile SCMP_ACT_LOG \
		'{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}' \
		'{"names": ["personality"], "action": "SCMP_ACT_ERRNO"}'
	run -0 mrun --network none --security-opt "seccomp=$PROFILE" base sh -c \
		'probe personality 0; probe personality 0xffffffff'
	[ "$output" = "$(printf 'personality=ok\npersonality=EPERM')" ]
	# a default that refuses: the command cannot even start (execve is refused)
	profile SCMP_ACT_ERRNO
	run ! mrun --network none --security-opt "seccomp=$PROFILE" base true
	# (the status is the runtime's, 125-127: what matters is that true never ran)
}

@test "seccomp profile: the host sees the filter on the container's process" {
	profile SCMP_ACT_ALLOW '{"names": ["personality"], "action": "SCMP_ACT_ERRNO"}'
	fifos ready go
	start_md --network none --security-opt "seccomp=$PROFILE" base sh -c 'echo > /t/ready; read x < /t/go'
	wait_fifo ready
	# Seccomp: 2 is SECCOMP_MODE_FILTER (proc(5))
	[ "$(host_status_field "$(host_pid)" Seccomp)" = 2 ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
}

@test "seccomp profile: a bad profile gets one clear error before anything is made" {
	local bad
	for bad in 'not json' '{"defaultAction": "SCMP_ACT_NOPE"}' '{"syscalls": []}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_NOTIFY"}]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"]}'; do
		printf '%s\n' "$bad" >"$T/bad.json"
		run -125 --separate-stderr md run --rm --name "sc$BATS_TEST_NUMBER" \
			--security-opt "seccomp=$T/bad.json" base true
		echo "$bad -> $stderr"
		assert_one_line_error
		[[ "$stderr" == *"$T/bad.json"* ]]
		run -0 md ps -a -q
		[ -z "$output" ]
	done
	run -125 --separate-stderr md run --rm --security-opt "seccomp=$T/missing.json" base true
	assert_one_line_error
}

@test "seccomp profile: more rules than one BPF program holds are refused, not cut short" {
	local rules=() i
	for i in $(seq 2100); do rules+=('{"names": ["personality"], "action": "SCMP_ACT_ALLOW"}'); done
	profile SCMP_ACT_ALLOW "${rules[@]}"
	run -125 --separate-stderr md run --rm --security-opt "seccomp=$PROFILE" base true
	assert_one_line_error
	[[ "$stderr" == *4096* ]]
}

@test "seccomp profile: config.json's linux.seccomp takes effect through the OCI face" {
	oci_run '{"uid": 0, "gid": 0}' '["sh", "-c", "probe personality 0; probe personality 0xffffffff"]' \
		', "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		   {"names": ["personality"], "action": "SCMP_ACT_ERRNO",
		    "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]}]}'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'personality=ok\npersonality=EPERM')" ]
	# no warning that some other filter replaced the profile
	[ -z "$stderr" ]
}
