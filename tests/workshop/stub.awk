# stub.awk: a chapter source with each WORKSHOP region replaced by a stub.
# Variables: where (appends "task file line function text" rows, tab-separated),
# file (the output name), readmes ("task README-section" rows), chapter (NN).
BEGIN {
	while ((getline row < readmes) > 0) {
		split(row, f, "\t")
		readme[f[1]] = f[2]
	}
}
function prelude() {
	print "/*"
	print " * Workshop, chapter " chapter ": made by `make workshop STEP=" chapter "`. Each TODO"
	print " * below is a task of TASKS.md; write it where the stub stands, then run"
	print " * `make check STEP=" chapter "`. Until a task is written, its stub stops the"
	print " * program with exit status 125 and names the task. Until then, too, some"
	print " * variables and functions are unused: these lines keep -Werror quiet."
	print " */"
	print "#pragma GCC diagnostic ignored \"-Wunused-parameter\""
	print "#pragma GCC diagnostic ignored \"-Wunused-variable\""
	print "#pragma GCC diagnostic ignored \"-Wunused-but-set-variable\""
	print "#pragma GCC diagnostic ignored \"-Wunused-function\""
	print "#pragma GCC diagnostic ignored \"-Wunused-label\""
	print "#include <stdio.h>"
	print "#include <unistd.h>"
	print ""
	print "/* A task not written yet: name it and where to read, then stop. */"
	print "_Noreturn static void workshop_todo(const char *task, const char *readme)"
	print "{"
	print "\tfprintf(stderr, \"workshop: task %s is not written yet (read %s; see TASKS.md)\\n\","
	print "\t\ttask, readme);"
	print "\t_exit(125);"
	print "}"
	print ""
	out += 23
}
/^#include/ && !done_prelude { prelude(); done_prelude = 1 }
/^[a-z][a-z_ 0-9*]*[ *][a-z_0-9]+\(/ && !skipping {
	fn = $0; sub(/\(.*/, "", fn); sub(/.*[ *]/, "", fn)
}
/^[ \t]*\/\* WORKSHOP step[0-9][0-9]-/ {
	indent = $0; sub(/\/\*.*/, "", indent)
	t = $0; sub(/^[ \t]*\/\* WORKSHOP /, "", t)
	task = t; sub(/:.*/, "", task)
	text = t; sub(/^[^:]*: */, "", text); sub(/ *\*\/[ \t]*$/, "", text)
	out++; print indent "/* TODO " task ": " text " (TASKS.md) */"
	out++; print indent "workshop_todo(\"" task "\", \"" readme[task] "\");"
	print task "\t" file "\t" (out - 1) "\t" fn "\t" text >> where
	skipping = 1
	next
}
/^[ \t]*\/\* END WORKSHOP \*\// { skipping = 0; next }
!skipping { out++; print }
