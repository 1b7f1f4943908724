#!/usr/bin/env bash
# tests/workshop/tasks-md.sh NN WHERE WS: TASKS.md for chapter NN's workspace
# WS, from the registry and WHERE's "task file line function" rows (in order).
set -eu
. "$(dirname "$0")/registry.sh"
nn=$1 where=$2 ws=$3
dir=$(reg chapter "$nn" dir)
title=$(head -n 1 "$dir/README.md" | sed 's/^# *//')
count=$(grep -c . "$where")
total=0
while IFS=$'\t' read -r task _; do
	total=$((total + $(reg task "$task" minutes)))
done <"$where"
echo "# Workshop: $title"
echo
echo "$count tasks, about $total minutes. Your program is in \`$ws/\`: chapter $nn's"
echo "program with the lines of each task taken out. Where they were, a TODO"
echo "comment and a stub stand: when the program reaches a stub it stops with"
echo "exit status 125 and names the task."
echo
echo "Do the tasks in order. After each one, from the repository root:"
echo
echo '```'
echo "make check STEP=$nn"
echo '```'
echo
echo "builds your program and checks it against chapter $nn's claims and every"
echo "earlier chapter's, as the host sees them. A failed claim says what was"
echo "expected, what was seen, which README section explains it, and where its"
echo "transcript is. To start again from scratch: \`make workshop STEP=$nn FORCE=1\`."
i=0
for t in $(reg_names task); do
	grep -q "^$t	" "$where" || continue
	IFS=$'\t' read -r task file line fn text < <(grep "^$t	" "$where")
	i=$((i + 1))
	echo
	echo "## Task $i of $count: \`$task\` (about $(reg task "$task" minutes) minutes)"
	echo
	echo "- **Write:** $text"
	echo "- **Where:** \`$ws/$file\`, line $line, in \`$fn()\` (the TODO $task)"
	echo "- **Read:** \`$dir/README.md\`, section \"$(reg task "$task" readme)\""
	echo "- **Calls:** $(reg task "$task" calls)"
	echo "- **Hints:**"
	reg task "$task" hint | sed 's/^/  - /'
done
