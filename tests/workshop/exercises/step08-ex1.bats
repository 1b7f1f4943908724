#!/usr/bin/env bats
# Chapter 8, exercise 1: personality(2) in the seccomp filter, as Docker's
# profile has it: PER_LINUX, PER_LINUX32 and the query 0xffffffff pass;
# anything else (READ_IMPLIES_EXEC: every readable mapping executable) gets
# EPERM. Observed with a small static program of the checker's own that
# exits with personality(2)'s errno (0 when it succeeded).
load ../checks/common
CHAPTER_DIR=step08-full
: "${MINIDOCK:?set MINIDOCK to the minidock under test}"

eval "chapter_$(declare -f setup_file)"
setup_file() {
	chapter_setup_file
	export STORE="$BATS_FILE_TMPDIR/store" PERSONA="$BATS_FILE_TMPDIR/persona"
	"$MINIDOCK" --root "$STORE" import "$ROOTFS_SRC" base >/dev/null
	printf '%s\n' '#include <errno.h>' '#include <stdlib.h>' '#include <sys/personality.h>' \
		'int main(int argc, char **argv) {' \
		'	(void)argc;' \
		'	return personality((unsigned long)strtoul(argv[1], NULL, 0)) == -1 ? errno : 0;' \
		'}' >"$PERSONA.c"
	cc -static -O2 -o "$PERSONA" "$PERSONA.c"
}

# persona ARGS...: the errno of personality(N) for each N, inside a container run with ARGS.
persona() {
	local cmd= n
	for n in $PERSONALITIES; do
		cmd+="/t/persona $n; echo \$?; "
	done
	cp "$PERSONA" "$T/persona"
	echo "\$ minidock run --rm -v $T:/t $* base sh -c '$cmd'"
	status=0
	out=$("$MINIDOCK" --root "$STORE" run --rm -v "$T:/t" "$@" base sh -c "$cmd" 2>"$BATS_TEST_TMPDIR/err") ||
		status=$?
	err=$(cat "$BATS_TEST_TMPDIR/err")
	printf '%s\n' "$out" | sed 's/^/  stdout| /'
	out=$(echo $out)
}

@test "step08-ex1-refused: personality(READ_IMPLIES_EXEC) gets EPERM in a container" {
	readme "Exercises"
	PERSONALITIES="0x0400000 0x0400008" persona
	expect_status 0
	if [ "$out" = "0 0" ]; then
		hint "the filter lets personality(2) through: compare its argument (the low 32 bits of args[0]) with the allowed values and return EPERM for the rest"
	fi
	expect "personality's errno for READ_IMPLIES_EXEC, alone and with PER_LINUX32" "1 1" "$out"
}

@test "step08-ex1-allowed: PER_LINUX, PER_LINUX32 and the query still work; without the filter everything does" {
	readme "Exercises"
	PERSONALITIES="0 8 0xffffffff" persona
	expect_status 0
	expect "personality's errno for PER_LINUX, PER_LINUX32, the query" "0 0 0" "$out"
	PERSONALITIES="0x0400000" persona --security-opt seccomp=unconfined
	expect_status 0
	expect "personality's errno for READ_IMPLIES_EXEC under seccomp=unconfined" 0 "$out"
}
