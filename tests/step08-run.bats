#!/usr/bin/env bats
# Chapter 8 claims, minidock run: images, the environment, /etc files,
# users, working directories, terminals, exit codes, bad input, cleanup.
bats_require_minimum_version 1.5.0
load helpers
load step08-common

@test "run: an imported directory runs, and --rm leaves no state or layer" {
	run -0 md images
	[[ "$output" == *"base"* ]]
	run -0 mrun base cat /etc/minidock-release
	[ "$output" = "minidock rootfs" ]
	[ -z "$(ls -A "$STORE/containers")" ]
	[ -z "$(ls -A "$STORE/run/containers")" ]
}

@test "run: the root is an overlay of the image's layer and a writable layer of its own" {
	run -0 mrun base sh -c 'echo new > /etc/minidock-release; cat /etc/minidock-release'
	[ "$output" = new ]
	# the image is untouched
	run -0 mrun base cat /etc/minidock-release
	[ "$output" = "minidock rootfs" ]
	run -0 mrun base /bin/probe info
	# lowerdir=A:B, or one lowerdir+=L per layer (Linux 6.8): the image's, and its init layer
	[[ "$(value root_mount)" == "/ - overlay overlay "*"lowerdir"*"=$STORE/layers/"*".init"* ]]
	[[ "$(value root_mount)" == *"upperdir=$STORE/containers/"* ]]
}

@test "run: copy-up and whiteouts land in the container's writable layer, seen from the host" {
	mkfifo "$T/ready" "$T/go"
	start_md base sh -c 'echo changed >> /etc/passwd; rm /etc/minidock-release;
		echo > /t/ready; read x < /t/go'
	timeout 10 cat "$T/ready" >/dev/null
	local upper
	upper=$(ls -d "$STORE"/containers/*/upper)
	# copy-up: the changed file is a whole copy in the upper layer
	grep -q '^root:' "$upper/etc/passwd"
	[ "$(tail -n 1 "$upper/etc/passwd")" = changed ]
	# whiteout: the deleted file is a 0/0 character device there
	[ "$(stat -c '%F %t:%T' "$upper/etc/minidock-release")" = "character special file 0:0" ]
	echo go > "$T/go"
	finish_ctr
	[ "$STATUS" -eq 0 ]
	# the image's layers are untouched
	[ -e "$(ls -d "$STORE"/layers/* | grep -v '\.init$' | head -n 1)/etc/minidock-release" ]
	! grep -qs changed "$STORE"/layers/*/etc/passwd
}

@test "run: the environment is Docker's, plus the image's and -e" {
	MINIDOCK_SECRET=leak run -0 mrun -h envbox -e A=1 -e B='x y' -e MINIDOCK_SECRET \
		-e UNSET_HERE base env
	[ "$(printf '%s\n' "$output" | cut -d= -f1 | sort | tr '\n' ' ')" = \
		"A B HOME HOSTNAME MINIDOCK_SECRET PATH " ]
	[[ "$output" == *"HOSTNAME=envbox"* ]]
	[[ "$output" == *"B=x y"* ]]
	[[ "$output" == *"MINIDOCK_SECRET=leak"* ]]
	run -0 mrun -e PATH=/bin base env
	[[ "$output" == *"PATH=/bin"* ]]
	[[ "$output" != *"/usr/local/sbin"* ]]
}

@test "run: /etc/hostname, /etc/hosts and /etc/resolv.conf are the container's own, bind-mounted" {
	run -0 mrun -h etcbox base sh -c 'cat /etc/hostname; grep -w etcbox /etc/hosts; grep -c . /proc/self/mountinfo >/dev/null; grep -E " /etc/(hostname|hosts|resolv.conf) " /proc/self/mountinfo | wc -l'
	[ "${lines[0]}" = etcbox ]
	[[ "${lines[1]}" == *"etcbox"* ]]
	[ "${lines[2]}" = 3 ]
	# name servers as Docker gives a bridged container: some, none on loopback
	# (step08-nat.bats checks where they come from)
	run -0 mrun base cat /etc/resolv.conf
	[[ "$output" == *nameserver* ]]
	[[ "$output" != *"nameserver 127."* ]]
	# without -h, the hostname is the short id, as Docker's
	run -0 mrun base hostname
	[[ "$output" =~ ^[0-9a-f]{12}$ ]]
}

@test "run: --user, seen from the host, and --workdir, created when missing" {
	fifos ready go
	chmod 777 "$T"
	chmod 666 "$T/ready" "$T/go"
	start_md -u 1234:4321 -w /some/where base sh -c 'pwd > /t/pwd; echo > /t/ready; read x < /t/go'
	wait_fifo ready
	local pid
	pid=$(host_pid)
	[ "$(awk '$1 == "Uid:" { print $2 }' "/proc/$pid/status")" = 1234 ]
	[ "$(awk '$1 == "Gid:" { print $2 }' "/proc/$pid/status")" = 4321 ]
	[ "$(awk '$1 == "Groups:" { print $2 }' "/proc/$pid/status")" = "" ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ "$(cat "$T/pwd")" = /some/where ]
	run -0 mrun -u 1234 base sh -c 'id -u; id -g; echo $HOME'
	[ "$output" = "$(printf '1234\n1234\n/')" ]
}

@test "run: --read-only root, with --tmpfs and volumes still writable" {
	run -1 mrun --read-only base touch /newfile
	[[ "$output" == *"Read-only file system"* ]]
	run -0 mrun --read-only --tmpfs /scratch base sh -c 'echo hi > /scratch/f && cat /scratch/f && echo hi > /t/f'
	[ "${lines[0]}" = hi ]
	[ "$(cat "$T/f")" = hi ]
	run -0 mrun --tmpfs /scratch:size=1m,mode=1770 base sh -c 'grep " /scratch " /proc/self/mountinfo; stat -c %a /scratch'
	[[ "${lines[0]}" == *" /scratch rw,nosuid,nodev,noexec"*" - tmpfs "*"size=1024k"*"mode=1770"* ]]
	[ "${lines[1]}" = 1770 ]
}

@test "run: -it gives a pty from the container's own devpts, sized as ours, and restores our terminal" {
	command -v script >/dev/null || skip "no script(1) (util-linux)"
	local cmd="stty rows 33 cols 97; stty -g > $T/before; $MINIDOCK --root $STORE run --rm -it base probe tty; echo status=\$?; stty -g > $T/after"
	run -0 script -qec "$cmd" /dev/null
	[[ "$output" == *"isatty=1"* ]]
	[[ "$output" == *"ttyname=/dev/pts/0"* ]]
	[[ "$output" == *"rows=33"* ]]
	[[ "$output" == *"cols=97"* ]]
	[[ "$output" == *"session_leader=1"* ]]
	[[ "$output" == *"status=0"* ]]
	[ "$(cat "$T/before")" = "$(cat "$T/after")" ]
}

@test "run: -it passes keys in and the exit status out; TERM is set" {
	command -v script >/dev/null || skip "no script(1) (util-linux)"
	run -0 script -qec "printf 'echo term=\$TERM\nexit 7\n' | $MINIDOCK --root $STORE run --rm -it base sh; echo status=\$?" /dev/null
	[[ "$output" == *"term=xterm"* ]]
	[[ "$output" == *"status=7"* ]]
}

@test "run: -t resizes the container's pty when we get SIGWINCH" {
	command -v script >/dev/null || skip "no script(1) (util-linux)"
	fifos ready go
	local cmd="stty rows 10 cols 20; $MINIDOCK --root $STORE run --rm -t -v $T:/t base sh -c 'echo > /t/ready; read x < /t/go; probe tty' & m=\$!; read x < $T/ready; stty rows 40 cols 50; kill -WINCH \$m; echo go > $T/go; wait \$m"
	run -0 script -qec "$cmd" /dev/null
	[[ "$output" == *"rows=40"* ]]
	[[ "$output" == *"cols=50"* ]]
}

@test "run: without -i stdin is empty; with -i it is ours" {
	run -0 bash -c "echo piped | $MINIDOCK --root $STORE run --rm base cat"
	[ "$output" = "" ]
	run -0 bash -c "echo piped | $MINIDOCK --root $STORE run --rm -i base cat"
	[ "$output" = piped ]
}

@test "run: exit codes: the command's, 126, 127, 128+N, and the image's missing default is 125" {
	run -3 mrun base sh -c 'exit 3'
	run -127 --separate-stderr mrun base no-such-command
	assert_one_line_error
	run -126 --separate-stderr mrun base /etc/passwd
	assert_one_line_error
	# 128+N for a command killed by signal N. Under --init the command is not
	# PID 1, so its own SIGTERM kills it whatever the image's shell execs.
	run -143 mrun --init base sh -c 'kill -TERM $$'
	run -138 mrun --init base sh -c 'kill -USR1 $$'
	run -125 --separate-stderr mrun base
	assert_one_line_error
	[[ "$stderr" == *"missing command"* ]]
}

@test "run: --name is reserved while the container runs and free after it" {
	fifos ready go
	start_md --name web-1 base sh -c 'echo > /t/ready; read x < /t/go'
	wait_fifo ready
	[ -L "$STORE/run/names/web-1" ]
	run -125 --separate-stderr mrun --name web-1 base true
	assert_one_line_error
	[[ "$stderr" == *"'web-1' is already in use"* ]]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	run -0 mrun --name web-1 base true
}

@test "run: each container has a 64-hex id and a state directory while it runs" {
	fifos ready go
	start_md base sh -c 'echo > /t/ready; read x < /t/go'
	wait_fifo ready
	local dir
	dir=$(ls "$STORE/run/containers")
	[[ "$dir" =~ ^[0-9a-f]{64}$ ]]
	grep -qx "status=running" "$STORE/run/containers/$dir/state"
	# the PID and its start time: a PID alone could be reused
	grep -qx "pid=$(host_pid)-$(awk '{ print $22 }' "/proc/$(host_pid)/stat")" \
		"$STORE/run/containers/$dir/state"
	[ "$(hostname)" != "${dir:0:12}" ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ ! -e "$STORE/run/containers/$dir" ]
}

@test "run: a --rm container's writable layer is volatile: never synced, as it is deleted at exit" {
	fifos ready go
	start_md base sh -c 'echo > /t/ready; read x < /t/go'
	wait_fifo ready
	# from the host: the container's root mount, in its own mount namespace
	local root
	root=$(awk '$5 == "/" && / - overlay /' "/proc/$(host_pid)/mountinfo")
	[[ "$root" == *"upperdir=$STORE/containers/"* ]]
	# ",volatile" (Linux 5.10), "fsync=volatile" (6.12): no sync of the upper layer
	[[ "$root" == *",volatile"* || "$root" == *",fsync=volatile"* ]]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	run -0 --separate-stderr md -D run --rm base true
	[[ "$stderr" == *'=> fsconfig('*', FSCONFIG_SET_FLAG, "volatile", NULL) = 0 [fsconfig(2)]'* ]]
}

@test "run: the /etc files and the root's mount point are in a tmpfs of the container's, not on the host's disk" {
	fifos ready go
	start_md -h tmpbox base sh -c 'echo > /t/ready; read x < /t/go'
	wait_fifo ready
	local dir
	dir=$(ls "$STORE/run/containers")
	# the host's state directory: the records only
	[ "$(ls "$STORE/run/containers/$dir" | tr '\n' ' ')" = "config owner state " ]
	# the container's /etc/hosts: a file of that tmpfs, bound in
	grep -q "^[^ ]* [^ ]* [^ ]* /hosts /etc/hosts rw,nosuid,nodev,noexec,.* - tmpfs " \
		"/proc/$(host_pid)/mountinfo"
	grep -qw tmpbox "/proc/$(host_pid)/root/etc/hosts"
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
}

@test "run: bad input gets a one-line error, 125, and creates nothing" {
	local bad
	for bad in "no-such-image true" "--bogus base true" "-v relative:/x base true" \
		"-v /tmp base true" "-v /tmp:/x:rx base true" "-v /tmp:/ base true" \
		"--cap-add NOT_A_CAP base true" "--cap-drop bogus base true" \
		"--security-opt nonsense base true" "--security-opt seccomp=/some/profile.json base true" \
		"-u alice base true" "-w relative base true" "--network bogus base true" \
		"--tmpfs relative base true" "--name bad/name base true" "-e =x base true" \
		"--tmpfs /etc/hostname/x base true" "--network none --tmpfs /etc/hostname/x base true"; do
		# (the last two fail in the child, while the parent wires the network)
		# shellcheck disable=SC2086
		run -125 --separate-stderr md run --rm $bad
		assert_one_line_error
		[ -z "$(ls -A "$STORE/containers" "$STORE/run/containers" 2>/dev/null | grep -v -e ':$' -e '^$')" ]
	done
	run -125 --separate-stderr md bogus-command
	assert_one_line_error
	run -125 --separate-stderr md run --rm -h "$(printf 'x%.0s' $(seq 65))" base true
	[[ "$stderr" == *"longer than 64 bytes"* ]]
}

@test "run: -D narrates the namespaces, the mounts, the locks and the exec" {
	run -0 --separate-stderr md -D run --rm base true
	# clone(2); on cgroup v2, clone3(2) straight into the container's cgroup
	[[ "$stderr" == *"=> clone(CLONE_NEWUTS|CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWIPC|CLONE_NEWNET|SIGCHLD)"*"[clone(2)]"* ||
		"$stderr" == *"=> clone3({flags="*"namespaces|CLONE_INTO_CGROUP"*"[clone(2)]"* ]]
	[[ "$stderr" == *"=> unshare(CLONE_NEWCGROUP) = 0"* ]]
	[[ "$stderr" == *'=> fsopen("overlay", FSOPEN_CLOEXEC)'*"[fsopen(2)]"* ]]
	[[ "$stderr" == *'=> fsconfig('*'"lowerdir'*"\"$STORE/layers/"* ]]
	[[ "$stderr" == *'=> move_mount('*'MOVE_MOUNT_F_EMPTY_PATH) = 0 [move_mount(2)]'* ]]
	[[ "$stderr" == *'=> pivot_root(".", ".") = 0 [pivot_root(2)]'* ]]
	[[ "$stderr" == *"=> prctl(PR_CAPBSET_DROP"*"0xa80425fb"* ]]
	[[ "$stderr" == *"=> prctl(PR_SET_NO_NEW_PRIVS, 1) = 0"* ]]
	[[ "$stderr" == *"=> close_range("* ]]
	[[ "$stderr" == *"=> prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER"* ]]
	[[ "$stderr" == *'=> execvp("true"'* ]]
	# the child's order: its root's mounts, then (v1) the cgroups joined, then pivot_root
	local proc join pivot
	proc=$(printf '%s\n' "$stderr" | grep -n -m1 'mount("proc"' | cut -d: -f1)
	pivot=$(printf '%s\n' "$stderr" | grep -n -m1 '=> pivot_root' | cut -d: -f1)
	join=$(printf '%s\n' "$stderr" | grep -n -m1 '/tasks", "0")' | cut -d: -f1)
	[ "$proc" -lt "$pivot" ]
	[ -z "$join" ] || { [ "$proc" -lt "$join" ] && [ "$join" -lt "$pivot" ]; }
}

@test "run: -D names who makes each call, in the order the calls happen, alike calls once" {
	run -0 --separate-stderr md -D run --rm base true
	# every line: who (the parent, the child, ...), its PID, then the call
	! printf '%s\n' "$stderr" | grep -v -E '^(parent|child|init|cmd|monitor) +[0-9]+ => '
	# the child's lines come after the clone that made it, under the PID clone returned
	local clone child first
	clone=$(printf '%s\n' "$stderr" | grep -n -m1 -E '=> clone3?\(' | cut -d: -f1)
	child=$(printf '%s\n' "$stderr" | grep -m1 -E '=> clone3?\(' | sed -E 's/.*\) = ([0-9]+) .*/\1/')
	first=$(printf '%s\n' "$stderr" | grep -n -m1 '^child ' | cut -d: -f1)
	[ "$clone" -lt "$first" ]
	printf '%s\n' "$stderr" | grep -q "^child  *$child => "
	# that PID is the host's: the parent waits for it, and says how it ended
	printf '%s\n' "$stderr" | grep -q "^parent .*waitpid($child, .*exited with 0"
	# a mount inside the root: the fd openat2 gave, and the path mount(2) was given
	printf '%s\n' "$stderr" |
		grep -q -E 'openat2\(root, "proc", RESOLVE_IN_ROOT\) = ([0-9]+), mount\("proc", "/proc/self/fd/\1"'
	# with several v1 hierarchies, their cgroups go in one line, the count at its end
	if [ "$(awk '$9 == "cgroup"' /proc/self/mountinfo | wc -l)" -gt 1 ]; then
		printf '%s\n' "$stderr" | grep -q -E '=> rmdir\("[^"]*\{[^}]*,[^}]*\}[^"]*"\) = 0 .*×[0-9]+$'
	fi
}

@test "run: a --rm run whose minidock was SIGKILLed is swept by the next run, and nothing else" {
	fifos ready
	start_md --name doomed base sh -c 'echo > /t/ready; exec sleep 1000'
	wait_fifo ready
	local id pid
	id=$(ls "$STORE/run/containers")
	pid=$(host_pid)
	kill -KILL "$JOB"
	wait "$JOB" || true
	JOB=
	# the container dies with it (PR_SET_PDEATHSIG), a moment later
	gone() { [ ! -d "/proc/$pid" ] || [ "$(awk '{ print $3 }' "/proc/$pid/stat")" = Z ]; }
	wait_until 10 gone
	[ -d "$STORE/run/containers/$id" ]
	[ -d "$STORE/containers/$id" ]
	# a live run's container must survive the sweep
	fifos ready2 go2
	"$MINIDOCK" --root "$STORE" run --rm -v "$T:/t" base sh -c 'echo > /t/ready2; read x < /t/go2' &
	local other=$!
	wait_fifo ready2
	run -0 mrun base true
	[ ! -e "$STORE/run/containers/$id" ]
	[ ! -e "$STORE/containers/$id" ]
	[ ! -e "$STORE/run/names/doomed" ]
	[ "$(ls "$STORE/run/containers" | wc -l)" -eq 1 ]
	release go2
	wait "$other"
	# its cgroups went with the next run too (chapter 4's sweep)
	[ -z "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "mdk-${MD_JOBS[-1]}-*" 2>/dev/null)" ]
}
