#!/usr/bin/env bash
# tests/workshop/proof.sh [NN...]: prove the workshop, chapter by chapter:
#  - the chapter's own program passes its check;
#  - the starting point (make workshop) builds and fails exactly the chapter's
#    mechanism claims (tasks.txt), each by reaching a stub: never by a build
#    failure, a crash or a usage error; every other claim passes or is blocked;
#  - the previous chapter's program, given as the answer, fails them too;
#  - each exercise's checker fails on the chapter's program and passes once
#    the reference solution (tests/workshop/solutions/) is applied;
#  - the checker's own messages (tests/workshop/checker.bats).
set -u
cd "$(dirname "$0")/../.."
. tests/workshop/registry.sh
out=build/workshop-proof
rm -rf "$out"
mkdir -p "$out"
failures=0
say() { printf 'proof: %-4s %s\n' "$1" "$2"; [ "$1" = ok ] || failures=$((failures + 1)); }

# outcome RESULTS CLAIM: the claim's outcome in a results file.
outcome() { awk -v c="$2" '$2 == c { print $1 }' "$1"; }

prove_reference() {
	local nn=$1 r=$out/ref-$1
	if CHECK_BIN=$(reg chapter "$nn" dir)/$(reg chapter "$nn" program) CHECK_RESULTS=$r \
		bash tests/workshop/check.sh "$nn" >"$r.log" 2>&1; then
		say ok "chapter $nn: the reference passes its check ($(tail -n 1 "$r.log" | sed 's/check| //'))"
	else
		say FAIL "chapter $nn: the reference fails its check (see $r.log)"
	fi
}

prove_starting_point() {
	local nn=$1 ws=$out/ws-$1 r=$out/start-$1 mech c o bad=
	mech=" $(reg chapter "$nn" mechanism) "
	WS_DIR=$ws FORCE=1 bash tests/workshop/workspace.sh "$nn" >/dev/null
	WS_DIR=$ws CHECK_RESULTS=$r bash tests/workshop/check.sh "$nn" >"$r.log" 2>&1
	grep -q 'needs the build' "$r.log" && bad="it does not build"
	while read -r o c; do
		case "$o:$mech" in
		FAIL:*" $c "*)
			grep -q 'is not written yet' "$ws/check-logs/$c.log" ||
				bad="$bad; $c failed without reaching a stub" ;;
		FAIL:*) bad="$bad; $c (not a mechanism claim) failed" ;;
		OK:*" $c "*) bad="$bad; $c passed" ;;
		esac
	done <"$r"
	for c in $mech; do
		o=$(outcome "$r" "$c")
		[ "$o" = FAIL ] || [ "$o" = BLOCKED ] || bad="$bad; $c is ${o:-missing}"
	done
	if [ -z "$bad" ]; then
		say ok "chapter $nn: the starting point builds and fails exactly: $(awk '$1 == "FAIL" { printf "%s ", $2 }' "$r")(the rest blocked or passing)"
	else
		say FAIL "chapter $nn: the starting point:${bad#;} (see $r.log)"
	fi
}

prove_previous() {
	local nn=$1 prev r=$out/prev-$1 c o bad=
	prev=$(printf '%02d' $((10#$nn - 1)))
	[ "$nn" = 08 ] && return 0
	[ "$prev" = 00 ] && return 0
	CHECK_BIN=$(reg chapter "$prev" dir)/$(reg chapter "$prev" program) CHECK_RESULTS=$r \
		bash tests/workshop/check.sh "$nn" >"$r.log" 2>&1 && bad=" its check passes"
	for c in $(reg chapter "$nn" mechanism); do
		o=$(outcome "$r" "$c")
		[ "$o" = FAIL ] || [ "$o" = BLOCKED ] || bad="$bad $c is ${o:-missing}"
	done
	if [ -z "$bad" ]; then
		say ok "chapter $nn: chapter $prev's program as the answer fails $(reg chapter "$nn" mechanism)"
	else
		say FAIL "chapter $nn: chapter $prev's program as the answer:$bad (see $r.log)"
	fi
}

# A copy of the chapter's program as a workspace, with the solution applied.
prove_exercise() {
	local nn=$1 ex=$2 dir ws=$out/ex-$1-$2 r=$out/ex-$1-$2
	dir=$(reg chapter "$nn" dir)
	if CHECK_BIN=$dir/$(reg chapter "$nn" program) bash tests/workshop/check.sh "$nn" "$ex" \
		>"$r-ref.log" 2>&1; then
		say FAIL "chapter $nn exercise $ex: the checker passes the unchanged chapter (see $r-ref.log)"
		return
	fi
	mkdir -p "$ws"
	[ "$nn" = 08 ] && cp "$dir"/*.h "$ws/"
	# The solutions apply to the chapter's code without its WORKSHOP markers.
	for f in $(chapter_sources "$nn"); do
		sed -e '/^[[:space:]]*\/\* WORKSHOP step[0-9][0-9]-.*\*\/[[:space:]]*$/d' \
			-e '/^[[:space:]]*\/\* END WORKSHOP \*\/[[:space:]]*$/d' "$f" >"$ws/$(basename "$f")"
	done
	# Outside any repository (the ceiling), git apply works as patch(1) does.
	if ! (cd "$ws" && GIT_CEILING_DIRECTORIES=$OLDPWD/build \
		git apply "$OLDPWD/tests/workshop/solutions/step$nn-ex$ex.patch") >"$r-sol.log" 2>&1; then
		say FAIL "chapter $nn exercise $ex: the solution does not apply (see $r-sol.log)"
		return
	fi
	if WS_DIR=$ws bash tests/workshop/check.sh "$nn" "$ex" >>"$r-sol.log" 2>&1; then
		say ok "chapter $nn exercise $ex: fails on the chapter's program, passes with the solution"
	else
		say FAIL "chapter $nn exercise $ex: the solution fails its checker (see $r-sol.log)"
	fi
}

chapters=${*:-$(reg_names chapter)}
for nn in $chapters; do
	prove_reference "$nn"
	prove_starting_point "$nn"
	prove_previous "$nn"
	for f in tests/workshop/exercises/step$nn-ex*.bats; do
		[ -f "$f" ] || continue
		ex=${f##*-ex}
		prove_exercise "$nn" "${ex%.bats}"
	done
done
if [ -f tests/workshop/checker.bats ]; then
	if bats --tap tests/workshop/checker.bats >"$out/checker.log" 2>&1; then
		say ok "the checker's messages (tests/workshop/checker.bats)"
	else
		say FAIL "the checker's messages (see $out/checker.log)"
	fi
fi
echo "proof: $failures failed, in ${SECONDS}s"
[ "$failures" -eq 0 ]
