#!/usr/bin/env bats
# Chapter 8 claims, bad input (issue 13): one table of hostile or mistaken
# invocations across every minidock command - sizes, CPUs, ports, names,
# ids, paths, volumes, maps, signals, hostnames, overlong and non-UTF-8
# arguments, hostile tarballs. Each must get exactly one line on stderr
# and the documented exit code (125 for run and for what comes before any
# command, 127 for a command not found, 1 for every other command), and
# the leak checker (leaks.bash) must find nothing after the table. Only
# minidock's commands: the chapters' programs are being rewritten.
bats_require_minimum_version 1.5.0
load helpers
load step08-common

# CODE|ARG|ARG...: @LONG@ is 5000 bytes, @NL@ holds a newline, @NONUTF8@ two bytes
# that are no UTF-8, @T@ the test's directory (its hostile tarballs).
CASES=$(cat <<'TABLE'
125|run
125|run|--bogus|base|true
125|run|nosuchimage|true
125|run|--memory|0|base|true
125|run|--memory|-1|base|true
125|run|--memory|12x|base|true
125|run|--memory|99999999999999g|base|true
125|run|--memory|@LONG@|base|true
125|run|--cpus|0|base|true
125|run|--cpus|0x10|base|true
125|run|--cpus|1e3|base|true
125|run|--cpus|nan|base|true
125|run|--cpus|-1|base|true
125|run|--cpu-shares|1|base|true
125|run|--cpu-shares|abc|base|true
125|run|--pids-limit|0|base|true
125|run|--pids-limit|-5|base|true
125|run|--pids-limit|1x|base|true
125|run|-p|80|base|true
125|run|-d|-p|99999:80|base|true
125|run|-d|-p|abc|base|true
125|run|-d|-p|1.2.3:80:80|base|true
125|run|-d|-p|127.0.0.1:0:0|base|true
125|run|--name|bad/name|base|true
125|run|--name|@NL@|base|true
125|run|--name|@NONUTF8@|base|true
125|run|--name|@LONG@|base|true
125|run|--name|-x|base|true
125|run|-v|relative:/x|base|true
125|run|-v|/tmp|base|true
125|run|-v|/tmp:relative|base|true
125|run|-v|/tmp:/x:bogus|base|true
125|run|-v|/tmp:/|base|true
125|run|-v|/tmp:/dev|base|true
125|run|-v|/tmp:/x:idmap|base|true
125|run|--tmpfs|relative|base|true
125|run|--tmpfs|/|base|true
125|run|--tmpfs|/x:size=@LONG@|base|true
125|run|--uidmap|0:100000|base|true
125|run|--uidmap|a:b:c|--userns|remap|base|true
125|run|--gidmap|0:1:-1|--userns|remap|base|true
125|run|--userns|bogus|base|true
125|run|--cap-add|NOSUCH|base|true
125|run|--cap-drop|@NONUTF8@|base|true
125|run|--security-opt|bogus|base|true
125|run|-h|@NL@|base|true
125|run|-h|a b|base|true
125|run|-h|@LONG@|base|true
125|run|-h|@NONUTF8@|base|true
125|run|-h||base|true
125|run|-w|relative|base|true
125|run|-u|nosuchuser|base|true
125|run|-u|0:x|base|true
125|run|-e|=x|base|true
125|run|-e||base|true
125|run|--network|bogus|base|true
125|run|--network|bridge|--subnet|300.1.1.0/24|base|true
125|run|--network|bridge|--subnet|10.0.0.0/33|base|true
125|run|--bridge|eth0|base|true
125|run|--bridge|@LONG@|base|true
125|run|--ip|1.2.3.4.5|base|true
125|run|--cgroup-parent|../../x|base|true
125|run|-d|-i|base|true
125|run|--pid-file|/nonexistent/dir/p|--network|none|base|true
127|run|--rm|--network|none|base|/nonexistent-command
125|run|@LONG@
1|exec
1|exec|--bogus|x|true
1|exec|nosuchcontainer|true
1|exec|@NONUTF8@|true
1|exec|-w|relative|x|true
1|exec|-e|=x|x|true
1|exec|-u|@LONG@|x|true
1|ps|--bogus
1|ps|extra
1|stop
1|stop|-t|-1|x
1|stop|-t|abc|x
1|stop|-t|99999999999999999999|x
1|stop|nosuchcontainer
1|kill
1|kill|-s|NOSUCH|x
1|kill|-s|0|x
1|kill|-s|999|x
1|kill|-s|@NONUTF8@|x
1|kill|nosuchcontainer
1|rm
1|rm|-x|x
1|rm|nosuchcontainer
1|rm|@LONG@
1|logs
1|logs|nosuchcontainer
1|logs|-x|x
1|inspect
1|inspect|nosuchcontainer
1|inspect|-f|{{.Nope|x
1|port
1|port|nosuchcontainer
1|pause
1|pause|nosuchcontainer
1|unpause|nosuchcontainer
1|stats|--bogus
1|stats|--no-stream|nosuchcontainer
1|top
1|top|nosuchcontainer
1|commit
1|commit|nosuchcontainer|img
1|commit|x|bad/name
1|prune|extra
1|import
1|import|/nonexistent|x
1|import|/dev/null|x
1|import|/tmp|bad/name
1|import|/tmp|@NONUTF8@
1|import|/tmp|@LONG@
1|images|extra
1|rmi
1|rmi|nosuchimage
1|rmi|@NL@
125|--bogus|ps
125|--root
125|--root|relative|ps
125|--exec-root|relative|ps
125|nosuchcommand
125|@NONUTF8@
125|@LONG@
1|import|@T@/garbage.tar|h1
1|import|@T@/dotdot.tar|h2
1|import|@T@/device.tar|h3
1|import|@T@/badpax.tar|h4
1|import|@T@/truncated.tar|h5
TABLE
)

# hostile_tarballs: garbage, a name that climbs out, a device node, a bad pax record, truncated.
hostile_tarballs() {
	local d="$T/h"
	mkdir -p "$d/plain" "$d/dev"
	echo x > "$d/plain/f"
	head -c 1024 /dev/urandom > "$T/garbage.tar"
	tar -cf "$T/dotdot.tar" --transform 's,^,../../,' -C "$d/plain" f 2>/dev/null
	mknod "$d/dev/sda" b 8 0
	tar -cf "$T/device.tar" -C "$d/dev" sda
	echo x > "$d/plain/$(printf 'p%.0s' $(seq 120))"
	tar --format=pax -cf "$T/badpax.tar" -C "$d/plain" "$(printf 'p%.0s' $(seq 120))"
	printf 9 | dd of="$T/badpax.tar" bs=1 seek=512 conv=notrunc 2>/dev/null
	tar -cf "$T/truncated.tar" -C "$ROOTFS" ./bin
	truncate -s 5000 "$T/truncated.tar"
}

@test "bad input: every row of the table gets one line and its exit code, and nothing is made" {
	local long line code args a n=0 bad=0 lines
	long=$(printf 'y%.0s' $(seq 5000))
	hostile_tarballs
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		IFS='|' read -r -a args <<<"$line"
		code=${args[0]}
		args=("${args[@]:1}")
		for i in "${!args[@]}"; do
			a=${args[i]//@LONG@/$long}
			a=${a//@NL@/$'a\nb'}
			a=${a//@NONUTF8@/$'\xff\xfe'}
			args[i]=${a//@T@/$T}
		done
		status=0
		stderr=$(timeout -s KILL 20 "$MINIDOCK" --root "$STORE" "${args[@]}" 2>&1 >/dev/null 3>&-) ||
			status=$?
		lines=$(printf '%s\n' "$stderr" | grep -c .)
		if [ "$status" != "$code" ] || [ "$lines" != 1 ]; then
			echo "row '${line:0:70}': exit $status (want $code), $lines lines: ${stderr:0:200}" >&2
			bad=1
		fi
		n=$((n + 1))
	done <<<"$CASES"
	echo "$n invocations" >&2
	[ "$n" -ge 80 ]
	[ -z "$(ls -A "$STORE/run/containers" "$STORE/containers" 2>/dev/null | grep -v -e ':$' -e '^$')" ]
	[ "$bad" = 0 ]
}
