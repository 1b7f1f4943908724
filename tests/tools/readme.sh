#!/usr/bin/env bash
# tests/tools/readme.sh README.md: run the README's ```console blocks as a
# reader would type them, and check that they print what the README shows.
#
# The contract (also in the top README's "How the tests prove isolation"):
# - only blocks whose info string is `console` run; plain ``` blocks do not;
# - in them, a line starting with "$ " is a command (a trailing \ continues
#   it on the next line); the lines after it, up to the next "$ " line or the
#   end of the block, are its expected output (stdout and stderr together);
# - all blocks of one README run in order in ONE bash session, as root, from
#   the repository root, stdin from /dev/null (so no sudo in a command, and
#   a cd only inside a subshell: ( cd DIR && ... ));
# - expected lines match the output lines one for one, in order; <name>
#   (e.g. <pid>, <addr>, <any>) matches any non-empty text, a line that is
#   just ... matches zero or more lines, trailing spaces are ignored; a
#   command with no expected lines may print anything;
# - at the end of each block, the jobs it left in the background get SIGTERM
#   (SIGKILL after 10 s); when the README is done, nothing it started may be
#   left: no process of its session, no /tmp/minidock-* path it names, no mount under
#   the repository or /tmp/minidock-*, no minidock container, no bridge
#   (but the shared minidock0).
#
# A machine that truly lacks what a section needs (the test VM's kernel has
# no nf_tables) names it: README_SKIP is an extended regular expression, and
# the console blocks under a heading it matches are not run; the line
# "# README: not run: N commands under 'HEADING' (README_SKIP_WHY)" says so.
#
# Exit status 0 when every command printed what the README shows; otherwise
# each mismatch is reported with the README's line, the command, the expected
# and the seen output. READMEs without console blocks pass.
set -u
readme=${1:?usage: readme.sh README.md}
repo=$(cd "$(dirname "$0")/../.." && pwd)
case $readme in /*) ;; *) readme=$repo/$readme ;; esac
[ -f "$readme" ] || { echo "readme.sh: no such file: $readme" >&2; exit 2; }
name=${readme#"$repo"/}
work=$(mktemp -d -t readme-run.XXXXXX) || exit 2
trap 'rm -rf "$work"' EXIT

# The README's commands, one set of files per command N: cmd.N (its text),
# exp.N (expected output), line.N (its line in the README), and end.N when
# it is the last command of its block.
awk -v dir="$work" -v skip="${README_SKIP:-}" '
function flush_cmd() {
	if (n > 0) close(dir "/exp." n)
}
/^```/ {
	if (!inblock && $0 ~ /^```console[ \t]*$/) {
		inblock = 1; cont = 0
		skipping = skip != "" && heading ~ skip
		next
	}
	if (inblock) {
		if (n > 0 && !ended[n]) { print "" > (dir "/end." n); close(dir "/end." n); ended[n] = 1 }
		inblock = 0; next
	}
}
!inblock && /^#+ / { heading = $0 }
!inblock { next }
skipping {
	if (/^\$ /) skipped[heading]++
	next
}
cont {
	print > (dir "/cmd." n)
	cont = ($0 ~ /\\$/)
	if (!cont) close(dir "/cmd." n)
	next
}
/^\$ / {
	flush_cmd()
	n++
	print substr($0, 3) > (dir "/cmd." n)
	print NR > (dir "/line." n); close(dir "/line." n)
	printf "" > (dir "/exp." n)
	cont = ($0 ~ /\\$/)
	if (!cont) close(dir "/cmd." n)
	next
}
n > 0 { print > (dir "/exp." n) }
END {
	flush_cmd(); print n + 0 > (dir "/count")
	for (h in skipped) printf "%d commands under '"'"'%s'"'"'\n", skipped[h], h > (dir "/skipped")
}
' "$readme" || exit 2
if [ -f "$work/skipped" ]; then
	sed "s|^|# $name: not run: |; s|\$| (${README_SKIP_WHY:-README_SKIP})|" "$work/skipped"
fi
count=$(cat "$work/count")
[ "$count" -gt 0 ] || { echo "# $name: no console blocks"; exit 0; }

# The contract's two rules about the commands themselves: they run as root
# already (no sudo), and from the repository root (a cd only in a subshell).
for i in $(seq 1 "$count"); do
	if grep -q -E '(^|[;&|(] *)sudo ' "$work/cmd.$i" || grep -q -E '^cd ' "$work/cmd.$i"; then
		echo "$name:$(cat "$work/line.$i"): no sudo, and cd only inside ( cd DIR && ... ):"
		sed 's/^/    $ /' "$work/cmd.$i"
		exit 1
	fi
done

# The session: each command's output in out.N, its status in rc.N, and the
# number of the command running in "current" (to name it on a timeout).
{
	cat <<-EOF
	echo \$\$ > '$work/sid'
	set -m
	cd "$repo" || exit 125
	__readme_reap() {
		local pids pid
		pids=\$(jobs -p)
		[ -n "\$pids" ] || return 0
		for pid in \$pids; do kill -TERM -- "-\$pid" 2>/dev/null; done
		( sleep 10; for pid in \$pids; do kill -KILL -- "-\$pid" 2>/dev/null; done ) &
		local watchdog=\$!
		wait \$pids 2>/dev/null
		kill -- "-\$watchdog" 2>/dev/null
		wait "\$watchdog" 2>/dev/null
		return 0
	}
	EOF
	for i in $(seq 1 "$count"); do
		echo "echo $i > '$work/current'"
		echo "{"
		cat "$work/cmd.$i"
		echo "} > '$work/out.$i' 2>&1"
		echo "echo \$? > '$work/rc.$i'"
		[ -f "$work/end.$i" ] && echo "__readme_reap"
	done
	echo "__readme_reap"
} > "$work/session.sh"

# What was there before, to tell what the README left behind.
snapshot() {
	ls -d /tmp/minidock-* 2>/dev/null
	awk -v r="$repo/" 'index($5, r) == 1 || index($5, "/tmp/minidock-") == 1 { print "mount " $5 }' \
		/proc/self/mountinfo
	ls /run/minidock/containers 2>/dev/null | sed 's/^/container /'
	ip -o link show type bridge 2>/dev/null | awk -F': ' '$2 != "minidock0" { print "bridge " $2 }'
}
snapshot | sort > "$work/before"

status=0
timeout -k 5 "${README_TIMEOUT:-600}" setsid bash "$work/session.sh" </dev/null >"$work/session.out" 2>&1 &
session=$!
wait "$session"
rc=$?
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	i=$(cat "$work/current" 2>/dev/null || echo 1)
	echo "$name:$(cat "$work/line.$i"): timed out after ${README_TIMEOUT:-600} s in:"
	sed 's/^/    $ /' "$work/cmd.$i"
	status=1
fi

# expected_matches EXP OUT: the matcher of the contract, as a wildcard match
# of lines where "..." is the star and each other line is a pattern.
expected_matches() {
	awk '
	function pattern(line,    out, c, i) {
		out = "^"
		while (line != "") {
			if (match(line, /^<[A-Za-z][A-Za-z0-9_ .:\/-]*>/)) {
				out = out ".+"; line = substr(line, RLENGTH + 1); continue
			}
			c = substr(line, 1, 1); line = substr(line, 2)
			if (c ~ /[A-Za-z0-9 ]/) out = out c
			else if (c == "\\") out = out "\\\\"
			else if (c == "^") out = out "\\^"
			else out = out "[" c "]"
		}
		return out "$"
	}
	function rstrip(s) { sub(/[ \t]+$/, "", s); return s }
	FNR == NR { e[++ne] = rstrip($0); next }
	{ o[++no] = rstrip($0) }
	END {
		# the block'"'"'s blank lines before the next command are layout, not output
		while (ne > 0 && e[ne] == "") ne--
		for (k = 1; k <= ne; k++) if (e[k] != "...") p[k] = pattern(e[k])
		i = 1; j = 1; star = 0; mark = 0
		while (j <= no) {
			if (i <= ne && e[i] == "...") { star = i; mark = j; i++ }
			else if (i <= ne && o[j] ~ p[i]) { i++; j++ }
			else if (star) { i = star + 1; mark++; j = mark }
			else exit 1
		}
		while (i <= ne && e[i] == "...") i++
		exit !(i > ne)
	}' "$1" "$2"
}

for i in $(seq 1 "$count"); do
	[ -f "$work/rc.$i" ] || {
		[ "$status" -ne 0 ] && break
		echo "$name:$(cat "$work/line.$i"): the session ended before this command:"
		sed 's/^/    $ /' "$work/cmd.$i"
		status=1
		break
	}
	# No expected lines: anything goes.
	grep -q . "$work/exp.$i" || continue
	expected_matches "$work/exp.$i" "$work/out.$i" && continue
	status=1
	echo "$name:$(cat "$work/line.$i"): output differs (exit status $(cat "$work/rc.$i"))"
	sed 's/^/    $ /' "$work/cmd.$i"
	echo "  expected:"
	sed 's/^/    | /' "$work/exp.$i"
	echo "  seen:"
	sed 's/^/    | /' "$work/out.$i"
done
if [ -s "$work/session.out" ]; then
	echo "$name: the session itself printed:"
	sed 's/^/    | /' "$work/session.out"
fi

# Nothing may be left behind: processes of the session (killed, by PID, once
# reported), then the rest.
sid=$(cat "$work/sid" 2>/dev/null)
# (a zombie has exited already: it only waits for init to reap it)
left=$(ps -e -o sid=,stat=,pid=,args= |
	awk -v s="${sid:-none}" '$1 == s && $2 !~ /^Z/ { $1 = $2 = ""; print }')
if [ -n "$left" ]; then
	echo "$name: processes left running (now killed):"
	printf '%s\n' "$left" | sed 's/^/    /'
	printf '%s\n' "$left" | awk '{ print $1 }' | xargs -r kill -KILL 2>/dev/null
	status=1
fi
snapshot | sort > "$work/after"
# A /tmp/minidock-* path counts when the README names it: other users of the
# machine make such paths too.
left=$(comm -13 "$work/before" "$work/after" | while read -r what; do
	case $what in
	/tmp/*) grep -qF "${what#/tmp/}" "$readme" && echo "$what" ;;
	*) echo "$what" ;;
	esac
done)
if [ -n "$left" ]; then
	echo "$name: left behind:"
	printf '%s\n' "$left" | sed 's/^/    /'
	status=1
fi
exit "$status"
