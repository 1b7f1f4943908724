#!/usr/bin/env bats
# Chapter 8 claims, seccomp profiles (seccomp-profile.c): a profile in the
# OCI runtime spec's form, from `run --security-opt seccomp=FILE` or
# config.json's linux.seccomp, is compiled to BPF and bites: each
# comparison on a 64-bit argument, each action, the default action; a bad
# profile gets one clear error before anything is made. Its flags go to
# seccomp(2); SCMP_ACT_NOTIFY's listener reaches a seccomp agent of ours
# (tests/tools/seccomp-agent.c) on listenerPath, which answers for the kernel.
bats_require_minimum_version 1.5.0
load helpers
load step08-common

AGENT=$REPO/build/seccomp-agent

eval "_common_$(declare -f teardown)"
# A failed test must not leave its agent running.
teardown() {
	[ -z "${AGENT_PID:-}" ] || kill -KILL "$AGENT_PID" 2>/dev/null || true
	_common_teardown
}

# start_agent errno:N|value:V: the agent on $SOCK, listening; its output on fd $agent.
start_agent() {
	[ -x "$AGENT" ] || skip "no $AGENT (make)"
	SOCK=$BATS_TEST_TMPDIR/agent.sock
	exec {agent}< <(exec "$AGENT" "$SOCK" "$1")
	AGENT_PID=$!
	read -r -t 10 line <&"$agent"
	[ "$line" = ready ]
}

# agent_output: all the agent printed, once the container's processes are gone.
agent_output() {
	AGENT_OUT=$(timeout 10 cat <&"$agent")
	exec {agent}<&-
	echo "agent: $AGENT_OUT"
}

# notify_profile [MORE]: mkdir and mkdirat go to the agent; MORE: more members (", ...").
notify_profile() {
	PROFILE=$T/notify.json
	printf '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "%s", "listenerMetadata": "m=1;n=2"%s,
	  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}\n' \
		"$SOCK" "${1:-}" >"$PROFILE"
}

# seccomp_listeners PID: how many seccomp listener fds the process holds.
seccomp_listeners() {
	local n=0 fd
	for fd in /proc/"$1"/fd/*; do
		[[ $(readlink "$fd" 2>/dev/null) == *"seccomp notify"* ]] && n=$((n + 1))
	done
	echo "$n"
}

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
		'{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_SPEC_DENY"]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NEW_LISTENER"]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "flags": [1]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]}'; do
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

@test "seccomp flags: LOG, TSYNC and SPEC_ALLOW go to seccomp(2) with the filter, which bites" {
	local f
	for f in SECCOMP_FILTER_FLAG_LOG SECCOMP_FILTER_FLAG_TSYNC SECCOMP_FILTER_FLAG_SPEC_ALLOW \
		'SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW'; do
		printf '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["%s"],
		  "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO"}]}\n' "$f" >"$T/p.json"
		run -0 --separate-stderr mrun --network none --security-opt "seccomp=$T/p.json" base \
			sh -c 'probe personality 0; grep "^Seccomp:" /proc/self/status'
		echo "$f: $output $stderr"
		[ "$(printf '%s\n' "$output" | head -n 1)" = personality=EPERM ]
		[[ $output == *"Seccomp:"*2* ]]
	done
}

# kmsg_record PID: the kernel's audit record of a seccomp action by PID, waited
# for 6 s at most: records reach the log through printk's rate limit (10 in
# 5 s, and a profile that logs every call floods it), so a wait that long
# outlasts a window that is full.
kmsg_record() {
	timeout 6 grep -m 1 -E "type=1326 .* pid=$1 .*syscall=" /dev/kmsg
}

# personality_run PROFILE: probe personality 0 refused under PROFILE; its host PID in RUN_PID.
personality_run() {
	run -0 md run --rm --network none --pid-file "$T/pid" --security-opt "seccomp=$1" base \
		probe personality 0
	[ "$output" = personality=EPERM ]
	RUN_PID=$(cat "$T/pid")
	rm -f "$T/pid"
}

@test "seccomp flags: with SECCOMP_FILTER_FLAG_LOG the kernel logs the calls the filter refuses" {
	[[ $(cat /proc/sys/kernel/seccomp/actions_logged) == *errno* ]] ||
		skip "kernel.seccomp.actions_logged has no errno: the kernel logs no refusal"
	[ -r /dev/kmsg ] || skip "no /dev/kmsg to read the kernel's audit records from"
	local rule='{"names": ["personality"], "action": "SCMP_ACT_ERRNO"}' without with try found=
	printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [%s]}\n' "$rule" >"$T/plain.json"
	printf '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG"], "syscalls": [%s]}\n' \
		"$rule" >"$T/log.json"
	for try in 1 2 3; do
		personality_run "$T/plain.json"
		without=$RUN_PID
		personality_run "$T/log.json"
		with=$RUN_PID
		if kmsg_record "$with"; then found=1; break; fi
	done
	if [ -z "$found" ]; then
		# the control: SCMP_ACT_LOG is logged with or without the flag
		printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_LOG"}]}\n' >"$T/act.json"
		run -0 md run --rm --network none --pid-file "$T/pid" --security-opt "seccomp=$T/act.json" \
			base probe personality 0
		kmsg_record "$(cat "$T/pid")" && { echo "SCMP_ACT_LOG was logged, the flag's refusal was not"; return 1; }
		skip "the kernel's audit records do not reach /dev/kmsg here (an audit daemon takes them)"
	fi
	# records come in order: the run's without the flag, had it one, came before
	run ! grep -E "type=1326 .* pid=$without .*syscall=" <(dmesg)
}

@test "seccomp flags: SPEC_ALLOW spares the container the forced speculation mitigation" {
	local mode f want field
	mode=$(cat /sys/devices/system/cpu/vulnerabilities/spec_store_bypass 2>/dev/null)
	[[ $mode == *seccomp* ]] ||
		skip "this kernel does not force the SSB mitigation on filtered processes ($mode)"
	for f in '' '"SECCOMP_FILTER_FLAG_SPEC_ALLOW"'; do
		printf '{"defaultAction": "SCMP_ACT_ALLOW", "flags": [%s]}\n' "$f" >"$T/p.json"
		run -0 mrun --network none --security-opt "seccomp=$T/p.json" base \
			grep Speculation_Store_Bypass /proc/self/status
		echo "flags [$f]: $output"
		if [ -z "$f" ]; then [[ $output == *"force mitigated"* ]]; else [[ $output != *"force mitigated"* ]]; fi
	done
}

@test "seccomp notify: the agent on listenerPath answers the container's mkdir, told its host PID" {
	fifos ready go
	start_agent errno:22
	notify_profile
	# sh waits, then becomes probe: the container's PID 1 makes the call
	start_md --network none --security-opt "seccomp=$PROFILE" base \
		sh -c 'echo > /t/ready; read x < /t/go; exec probe mkdir /t/made'
	wait_fifo ready
	local pid=$(host_pid)
	# the listener is the agent's: neither the container nor minidock holds it
	[ "$(seccomp_listeners "$pid")" = 0 ]
	[ "$(seccomp_listeners "$JOB")" = 0 ]
	[ "$(seccomp_listeners "$AGENT_PID")" = 1 ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	cat "$T/out"
	# the agent's errno, and the kernel never made the directory
	[ "$(cat "$T/out")" = "$(printf 'mkdir=EINVAL\nis_dir=no')" ]
	[ ! -e "$T/made" ]
	agent_output
	[[ $AGENT_OUT == *'fds=["seccompFd"]'* ]]
	[[ $AGENT_OUT == *"pid=$pid"$'\n'* ]]
	[[ $AGENT_OUT == *'metadata="m=1;n=2"'* ]]
	[[ $AGENT_OUT == *'state.status="creating"'* ]]
	[[ $AGENT_OUT =~ call=mkdir(at)?\ pid=$pid($|$'\n') ]]
}

@test "seccomp notify: an agent's success stands for the call, which the kernel never made" {
	start_agent value:0
	notify_profile ', "flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]'
	run -0 mrun --network none --security-opt "seccomp=$PROFILE" base probe mkdir /t/made
	[ "$output" = "$(printf 'mkdir=ok\nis_dir=no')" ]
	[ ! -e "$T/made" ]
	agent_output
	[[ $AGENT_OUT == *call=mkdir* ]]
}

@test "seccomp notify: refused without no_new_privileges, or with no agent listening; nothing made" {
	[ -x "$AGENT" ] || skip "no $AGENT (make)"
	SOCK=$BATS_TEST_TMPDIR/nobody.sock
	notify_profile
	# no agent: the container never runs its command unwatched
	run -125 --separate-stderr mrun --network none --security-opt "seccomp=$PROFILE" base \
		probe mkdir /t/made
	echo "$stderr"
	assert_one_line_error
	[[ $stderr == *"$SOCK"* ]]
	[ -z "$output" ]
	# the filter would go on before the other locks: the agent would answer our setup
	start_agent errno:1
	notify_profile
	run -125 --separate-stderr mrun --network none --security-opt no-new-privileges=false \
		--security-opt "seccomp=$PROFILE" base probe mkdir /t/made
	echo "$stderr"
	assert_one_line_error
	[[ $stderr == *no_new_privileges* ]]
	[ ! -e "$T/made" ]
	run -0 md ps -a -q
	[ -z "$output" ]
}

@test "seccomp notify: refused without listenerPath, as the default action, or for sendmsg" {
	local bad
	for bad in \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "x", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}' \
		'{"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/tmp/x.sock"}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/tmp/x.sock", "syscalls": [{"names": ["sendmsg"], "action": "SCMP_ACT_NOTIFY"}]}'; do
		printf '%s\n' "$bad" >"$T/bad.json"
		run -125 --separate-stderr md run --rm --security-opt "seccomp=$T/bad.json" base true
		echo "$bad -> $stderr"
		assert_one_line_error
		[[ $stderr == *listener* ]]
		run -0 md ps -a -q
		[ -z "$output" ]
	done
}

@test "seccomp notify: config.json's listenerPath gets the OCI state through the OCI face" {
	start_agent errno:13
	# an earlier oci_run made its device nodes in this rootfs's /dev (no /dev mount),
	# and a second run refuses to make them again (EEXIST): a /dev as the image has it
	rm -rf "$ROOTFS/dev" && mkdir "$ROOTFS/dev"
	oci_run '{"uid": 0, "gid": 0}' '["probe", "mkdir", "/tmp/made"]' \
		', "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "'"$SOCK"'",
		   "listenerMetadata": "oci", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'mkdir=EACCES\nis_dir=no')" ]
	agent_output
	[[ $AGENT_OUT == *"state.id=\"o$BATS_TEST_NUMBER\""* ]]
	[[ $AGENT_OUT == *'state.status="creating"'* ]]
	[[ $AGENT_OUT == *'metadata="oci"'* ]]
}
