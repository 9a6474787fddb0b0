#!/usr/bin/env bash
# Runs one step of `make test` and records how long it took.
#
#   .ci/step.sh --start          forget the timings of an earlier run
#   .ci/step.sh NAME CMD [ARG..] run CMD as step NAME; on failure print the timings and fail
#   .ci/step.sh --report         print the table of step timings
#
# Timings go to $STEP_TIMINGS (default .tools/step-timings.txt, git-ignored).
set -uo pipefail
export LC_NUMERIC=C # "12.3", not "12,3": the timings are parsed by awk

now() { echo "${EPOCHREALTIME:-$(date +%s)}"; }
timings=${STEP_TIMINGS:-.tools/step-timings.txt}

report() {
	[[ -s $timings ]] || return 0
	echo "---- step timings ----"
	awk -F'\t' '{ total += $2; printf "  %-22s %8.1f s  %s\n", $1, $2, $3 } END { printf "  %-22s %8.1f s\n", "total", total }' "$timings"
}

case ${1:-} in
--start)
	mkdir -p "$(dirname "$timings")" && : >"$timings"
	exit 0
	;;
--report)
	report
	exit 0
	;;
"" | -*)
	echo "usage: $0 --start | --report | NAME CMD [ARG...]" >&2
	exit 2
	;;
esac

name=$1
shift
echo "==> [$name] $*"
started=$(now)
"$@"
status=$?
elapsed=$(awk -v a="$started" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
verdict=ok
((status == 0)) || verdict="FAILED (exit $status)"
mkdir -p "$(dirname "$timings")"
printf '%s\t%s\t%s\n' "$name" "$elapsed" "$verdict" >>"$timings"
echo "<== [$name] $verdict in ${elapsed} s"
if ((status != 0)); then
	report
fi
exit "$status"
