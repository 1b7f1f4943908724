#!/usr/bin/env bash
# tests/workshop/lint.sh: check the WORKSHOP markers of every chapter source.
#
#   /* WORKSHOP stepNN-name: what to write */
#   ... the lines a participant writes (at most 60) ...
#   /* END WORKSHOP */
#
# Refused: a marker of another form, an unnamed one, a name the registry
# (tasks.txt) does not know or that belongs to another chapter, a task marked
# twice, nesting, an END without a start, an unterminated region, an empty one
# or one longer than 60 lines; and a registry task no source marks. Also:
# WORKSHOP.md's exercises (below).
set -u
cd "$(dirname "$0")/../.."
. tests/workshop/registry.sh
known=" $(reg_names task | tr '\n' ' ') "
status=0
files=$(ls step0[1-7]-*/*.c step08-full/*.c 2>/dev/null)
for f in $files; do
	ch=${f#step}
	ch=${ch%%-*}
	awk -v known="$known" -v ch="$ch" -v max=60 '
	function err(msg) { printf "%s:%d: %s\n", FILENAME, FNR, msg; bad = 1 }
	/WORKSHOP/ {
		if ($0 ~ /^[ \t]*\/\* END WORKSHOP \*\/[ \t]*$/) {
			if (!open) { err("END WORKSHOP without a WORKSHOP start"); next }
			n = FNR - start - 1
			if (n < 1) err("empty WORKSHOP region " name)
			if (n > max) err("WORKSHOP region " name " is " n " lines long (at most " max ")")
			open = 0
			next
		}
		if ($0 ~ /\/\* *WORKSHOP *:/) {
			err("unnamed marker: want /* WORKSHOP stepNN-name: what to write */")
			next
		}
		if ($0 !~ /^[ \t]*\/\* WORKSHOP /) {
			if ($0 ~ /\/\*.*WORKSHOP/) err("malformed marker: want /* WORKSHOP stepNN-name: what to write */ or /* END WORKSHOP */")
			next
		}
		t = $0; sub(/^[ \t]*\/\* WORKSHOP /, "", t)
		if (t !~ /^step[0-9][0-9]-[a-z0-9-]+: [^ ].* \*\/[ \t]*$/) {
			err("unnamed or malformed marker: want /* WORKSHOP stepNN-name: what to write */")
			next
		}
		nm = t; sub(/:.*/, "", nm)
		if (open) err("WORKSHOP " nm " nested in " name " (opened at line " start ")")
		if (index(known, " " nm " ") == 0) err("unknown task " nm " (not in tests/workshop/tasks.txt)")
		if (substr(nm, 5, 2) != ch) err("task " nm " is not chapter " ch "'"'"'s")
		open = 1; start = FNR; name = nm
	}
	END {
		if (open) { FNR = start; err("WORKSHOP " name " is not terminated by /* END WORKSHOP */") }
		exit bad
	}' "$f" || status=1
done
# Each README section a task or a claim points to exists.
section_exists() {
	grep -qxF -e "## $2" -e "### $2" "$1/README.md" 2>/dev/null ||
		{ echo "$3: no section \"$2\" in $1/README.md"; status=1; }
}
for t in $(reg_names task); do
	section_exists "$(reg chapter "${t:4:2}" dir)" "$(reg task "$t" readme)" "tests/workshop/tasks.txt: task $t"
done
for f in tests/workshop/checks/step*.bats tests/workshop/exercises/step*.bats; do
	[ -f "$f" ] || continue
	d=$(sed -n 's/^CHAPTER_DIR=//p' "$f")
	while read -r s; do
		section_exists "$d" "$s" "$f"
	done < <(sed -n 's/^\treadme "\(.*\)"$/\1/p' "$f" | sort -u)
done
# Each registry task is marked exactly once.
marked=$(marked_tasks $files | cut -f3 | sort)
for t in $(reg_names task); do
	n=$(grep -cx -- "$t" <<<"$marked")
	[ "$n" -eq 1 ] || { echo "tests/workshop/tasks.txt: task $t is marked $n times (want 1)"; status=1; }
done
# WORKSHOP.md names only exercises that exist: each row of its table of
# checked exercises has a checker and each checker a row; each exercise it
# names ("exercise N.M", a row, a "- N.M (" item) is item M of the
# "Exercises" section of chapter N's README, as is each checker's.
readme_has_exercise() { # NN M
	awk -v m="$2. " '/^## / { p = ($0 == "## Exercises"); next }
		p && index($0, m) == 1 { found = 1 } END { exit !found }' \
		"$(reg chapter "$1" dir)/README.md" 2>/dev/null
}
rows=$(sed -n 's/^| \([1-8]\) | \([0-9]*\): .*/\1 \2/p' WORKSHOP.md)
while read -r n m; do
	[ -f "tests/workshop/exercises/step0$n-ex$m.bats" ] ||
		{ echo "WORKSHOP.md: exercise $n.$m has no checker (tests/workshop/exercises/step0$n-ex$m.bats)"; status=1; }
done <<<"$rows"
for f in tests/workshop/exercises/step*-ex*.bats; do
	[ -f "$f" ] || continue
	n=${f##*/step} m=${f##*-ex}
	n=${n%%-*} m=${m%.bats}
	grep -qx "$((10#$n)) $m" <<<"$rows" || { echo "$f: not in WORKSHOP.md's table of exercises"; status=1; }
	readme_has_exercise "$n" "$m" || { echo "$f: chapter $n's README has no exercise $m"; status=1; }
done
named=$({
	echo "$rows"
	grep -o '^- [1-8]\.[0-9]* (' WORKSHOP.md | grep -o '[1-8]\.[0-9]*'
	grep -o 'exercises\? [1-8]\.[0-9]*\( or [1-8]\.[0-9]*\)*' WORKSHOP.md | grep -o '[1-8]\.[0-9]*'
} | tr . ' ' | sort -u)
while read -r n m; do
	[ -n "$n" ] || continue
	readme_has_exercise "0$n" "$m" || { echo "WORKSHOP.md: chapter $n's README has no exercise $m"; status=1; }
done <<<"$named"
[ "$status" -eq 0 ] && echo "workshop lint: $(wc -l <<<"$marked" | tr -d ' ') regions, $(wc -l <<<"$named" | tr -d ' ') exercises named in WORKSHOP.md OK"
exit "$status"
