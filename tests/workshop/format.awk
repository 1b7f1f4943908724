# format.awk: the checker's report from bats' TAP (bats --tap --timing).
# One line per claim: OK, FAIL, BLOCKED (a claim it needs failed) or SKIP
# (the machine lacks a feature), each prefixed "check|" so the checker's
# lines stand apart. Under a FAIL: expected, seen, the README section, a
# hint, and the transcript file (LOGS/CLAIM.log) that keeps the rest.
# Variables: logs (directory), results (file: "OUTCOME claim" rows).
function secs(line,   ms) {
	if (match(line, / in [0-9]+ms/)) {
		ms = substr(line, RSTART + 4, RLENGTH - 6)
		return sprintf("%5.1fs", ms / 1000)
	}
	return "      "
}
function name_of(line) {
	sub(/^(not )?ok [0-9]+ /, "", line)
	sub(/ in [0-9]+ms.*/, "", line)
	sub(/ # skip.*/, "", line)
	return line
}
function close_log() {
	if (log_file != "") {
		detail("expected:  ", d_exp); detail("seen:      ", d_seen)
		detail("read:      ", d_read); detail("hint:      ", d_hint)
		d_exp = d_seen = d_read = d_hint = ""
		printf "check|                  transcript: %s\n", log_file
		close(log_file)
		log_file = ""
	}
}
function detail(label, text,   n, i, l) {
	n = split(substr(text, 2), l, "\n")
	for (i = 1; i <= n; i++)
		printf "check|                  %s%s\n", label, l[i]
}
function say(outcome, t, name, extra) {
	claim = name; sub(/:.*/, "", claim)
	printf "check| %-7s %s  %s%s\n", outcome, t, name, extra
	print outcome, claim >> results
	fflush()
}
# Each bats run (the gates, then the claims) numbers its tests from 1.
/^1\.\.[0-9]+$/ { split("", reported) }
/^(not )?ok / {
	close_log()
	# One row per claim, even if a forked shell of the test reported it again.
	number = ($1 == "ok") ? $2 : $3
	if (reported[number]++)
		next
}
/^ok / && / # skip / {
	reason = $0; sub(/.* # skip /, "", reason)
	if (reason ~ /^@@/)
		next
	if (reason ~ /^blocked: /) {
		sub(/^blocked: /, "", reason)
		blocked++
		say("BLOCKED", "      ", name_of($0), "  (" reason ", which did not pass)")
	} else {
		skipped++
		say("SKIP", "      ", name_of($0), "  (" reason ")")
	}
	next
}
/^ok / { passed++; say("OK", secs($0), name_of($0), ""); next }
/^not ok / {
	failed++
	n = name_of($0)
	say("FAIL", secs($0), n, "")
	log_file = logs "/" claim ".log"
	print "claim: " n > log_file
	next
}
/^# / && log_file != "" {
	line = substr($0, 3)
	print line > log_file
	if (line ~ /^@@expected: /) d_exp = d_exp "\n" substr(line, 13)
	else if (line ~ /^@@seen: /) d_seen = d_seen "\n" substr(line, 9)
	else if (line ~ /^@@readme: /) d_read = d_read "\n" substr(line, 11)
	else if (line ~ /^@@hint: /) d_hint = d_hint "\n" substr(line, 9)
}
END {
	close_log()
	total = passed + failed + blocked
	printf "check| Score: %d/%d", passed, total
	if (skipped)
		printf " (%d skipped: see their reasons)", skipped
	printf "\n"
	exit !(total > 0 && passed == total)
}
