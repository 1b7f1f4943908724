# wait_until SECONDS CMD...: run CMD until it succeeds, for at most SECONDS
# (tests wait on an event with a bound, never on a fixed sleep). Shared by
# tests/helpers.bash, tests/engines/engines.bash and the workshop checks.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.02
	done
}
