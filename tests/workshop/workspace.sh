#!/usr/bin/env bash
# tests/workshop/workspace.sh NN: make the participant's workspace for
# chapter NN, workshop/stepNN/: the chapter's program with every WORKSHOP
# region replaced by a stub, and TASKS.md. An existing workspace is replaced
# only after a yes on the terminal, or with FORCE=1.
set -eu
cd "$(dirname "$0")/../.."
. tests/workshop/registry.sh
nn=${1:-}
dir=$(reg chapter "$nn" dir 2>/dev/null || true)
if [ -z "$nn" ] || [ -z "$dir" ]; then
	echo "usage: make workshop STEP=NN (NN one of: $(reg_names chapter | tr '\n' ' '))" >&2
	exit 2
fi
ws=${WS_DIR:-workshop/step$nn}
if [ -e "$ws" ] && [ "${FORCE:-0}" != 1 ]; then
	if [ -t 0 ]; then
		printf 'workshop: %s exists and holds your work. Start again from scratch? [y/N] ' "$ws"
		read -r answer
		case $answer in [yY]*) ;; *) echo "workshop: kept $ws"; exit 1 ;; esac
	else
		echo "workshop: $ws exists; to replace it run 'make workshop STEP=$nn FORCE=1'" >&2
		exit 1
	fi
fi
tmp=$(mktemp -d -t minidock-workshop.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
for t in $(reg_names task); do
	[ "${t:4:2}" = "$nn" ] && printf '%s\t%s\n' "$t" "$dir/README.md, \\\"$(reg task "$t" readme)\\\""
done >"$tmp/readmes"
mkdir -p "$tmp/ws"
: >"$tmp/where"
[ "$nn" = 08 ] && cp step08-full/*.h "$tmp/ws/"
for src in $(chapter_sources "$nn"); do
	awk -v where="$tmp/where" -v readmes="$tmp/readmes" -v chapter="$nn" -v file="$(basename "$src")" \
		-f tests/workshop/stub.awk "$src" >"$tmp/ws/$(basename "$src")"
	# A file without tasks is copied as it is, prelude and all left out.
	grep -q '/\* WORKSHOP step' "$src" || cp "$src" "$tmp/ws/"
done
bash tests/workshop/tasks-md.sh "$nn" "$tmp/where" "$ws" >"$tmp/ws/TASKS.md"
rm -rf "$ws"
mkdir -p "$(dirname "$ws")"
mv "$tmp/ws" "$ws"
echo "workshop: $ws is ready: $(grep -c . "$tmp/where") tasks in $ws/TASKS.md; check with 'make check STEP=$nn'"
