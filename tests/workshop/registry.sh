# Reading tests/workshop/tasks.txt (sourced by the workshop scripts).
WS_REGISTRY=${WS_REGISTRY:-$(dirname "${BASH_SOURCE[0]}")/tasks.txt}

# reg KIND NAME KEY: every value of KEY in the block whose KIND is NAME
# (KIND is chapter or task), one per line.
reg() {
	awk -v RS= -v kind="$1" -v name="$2" -v key="$3" '
	{
		n = split($0, line, "\n")
		if (line[1] != kind ": " name)
			next
		for (i = 2; i <= n; i++)
			if (index(line[i], key ": ") == 1)
				print substr(line[i], length(key) + 3)
	}' "$WS_REGISTRY"
}

# reg_names KIND: the names of every block of KIND, in file order.
reg_names() {
	awk -v kind="$1" 'index($0, kind ": ") == 1 { print substr($0, length(kind) + 3) }' \
		"$WS_REGISTRY"
}

# chapter_sources NN: the chapter's source files (chapter 8: minidock's).
chapter_sources() {
	if [ "$1" = 08 ]; then
		ls step08-full/*.c
	else
		echo "$(reg chapter "$1" dir)/$(reg chapter "$1" program).c"
	fi
}

# marked_tasks FILE...: the tasks marked in FILEs, in order: "file line task text".
marked_tasks() {
	awk '/^[ \t]*\/\* WORKSHOP step[0-9][0-9]-/ {
		t = $0; sub(/^[ \t]*\/\* WORKSHOP /, "", t)
		name = t; sub(/:.*/, "", name)
		text = t; sub(/^[^:]*: */, "", text); sub(/ *\*\/[ \t]*$/, "", text)
		print FILENAME "\t" FNR "\t" name "\t" text
	}' "$@"
}
