#!/bin/sh
# sizes.sh: each chapter's lesson size against its budget (issue 11).
# Lesson lines are the lines `make diff STEP=NN` adds (blank lines do not
# count); file lines are the chapter's whole source. Exits 1 when a budget
# is exceeded.
cd "$(dirname "$0")/../.." || exit 2
set -- step01-uts/uts step02-pid/pid step03-mnt/mnt step04-cgroups/cgroups \
	step05-overlay/overlay step06-net/net step07-userns/userns
over=0 prev=
printf '%-16s %8s %8s  %s\n' chapter lesson file budget
for c in "$@"; do
	file=$(wc -l < "$c.c")
	if [ -z "$prev" ]; then
		lesson=$file budget="file <= 300" bad=$((file > 300))
	else
		lesson=$(diff -u "$prev.c" "$c.c" | grep -c '^+[^+]')
		budget="lesson <= 300" bad=$((lesson > 300))
	fi
	# chapter 7 is everything but minidock: its whole file has a budget too
	if [ "$c" = step07-userns/userns ]; then
		budget="$budget, file <= 1800"
		[ "$file" -le 1800 ] || bad=1
	fi
	[ "$bad" = 0 ] || { budget="$budget  OVER"; over=1; }
	printf '%-16s %8s %8s  %s\n' "${c%%/*}" "$lesson" "$file" "$budget"
	prev=$c
done
exit "$over"
