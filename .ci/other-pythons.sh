#!/usr/bin/env bash
# Runs the unit suite (-m "not integration") under every supported Python other than the one of
# the main venv, each in its own venv .venvs/py3.X with '.[test]' (installed one after the
# other, then the suites run in parallel), and says which interpreters ran and which were
# skipped, and why.
#
# Interpreters are found without machine-specific paths: `python3.X` on PATH if it really runs
# (a pyenv shim for a version that is not active only prints an error), else the newest
# $(pyenv root)/versions/3.X*/bin/python3.X when pyenv exists.
#
# Environment: VENV (main venv, default .venv), SUPPORTED (default "3.11 3.12 3.13 3.14"),
# PYTEST_ARGS (extra pytest arguments).
set -euo pipefail

main_venv=${VENV:-.venv}
supported=${SUPPORTED:-3.11 3.12 3.13 3.14}
main_version=$("$main_venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# True if $1 is an interpreter of version $2 that actually starts.
runs_as() {
	"$1" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$2'.split('.'))))" \
		>/dev/null 2>&1
}

find_python() {
	local version=$1 candidate dirs root
	candidate=$(command -v "python$version" || true)
	if [[ -n $candidate ]] && runs_as "$candidate" "$version"; then
		echo "$candidate"
		return 0
	fi
	if command -v pyenv >/dev/null 2>&1 && root=$(pyenv root 2>/dev/null); then
		# Newest patch release first; "3.1" must not match "3.10", hence the dot.
		mapfile -t dirs < <(compgen -G "$root/versions/$version.*" | sort -rV)
		for candidate in "${dirs[@]}"; do
			candidate+="/bin/python$version"
			if [[ -x $candidate ]] && runs_as "$candidate" "$version"; then
				echo "$candidate"
				return 0
			fi
		done
	fi
	return 1
}

# (Re)creates .venvs/py3.X when the interpreter or pyproject.toml changed since the last install.
prepare_venv() {
	local python=$1 venv=$2 wanted
	wanted="$("$python" -VV | tr -d '\n') $(sha256sum pyproject.toml | cut -d' ' -f1)"
	if [[ -x $venv/bin/python && -f $venv/.installed && "$(<"$venv/.installed")" == "$wanted" ]]; then
		return 0
	fi
	rm -rf "$venv"
	"$python" -m venv "$venv"
	"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
	echo "$wanted" >"$venv/.installed"
}

# The unit suite of one interpreter; its output goes to a log printed once it is done.
run_suite() {
	local version=$1 started=$SECONDS status=0
	# shellcheck disable=SC2086 # PYTEST_ARGS is a list of words on purpose
	".venvs/py$version/bin/python" -m pytest -q -m "not integration" ${PYTEST_ARGS:-} || status=$?
	echo "(Python $version: pytest exit $status after $((SECONDS - started)) s)"
	return "$status"
}

ran=() skipped=() failed=() versions=() pythons=() pids=()
for version in $supported; do
	if [[ $version == "$main_version" ]]; then
		skipped+=("$version (the main venv's interpreter: already ran the whole suite)")
	elif ! python=$(find_python "$version"); then
		skipped+=("$version (not found: no working python$version on PATH, none under pyenv)")
	else
		echo "==> Python $version ($python): venv .venvs/py$version"
		# One at a time: editable installs of one checkout share its egg-info folder.
		if prepare_venv "$python" ".venvs/py$version"; then
			versions+=("$version") pythons+=("$python")
		else
			failed+=("$version (installing .venvs/py$version failed)")
		fi
	fi
done

# The suites run side by side (one core each on a 2-core machine): this step's time is the
# slowest interpreter's, not their sum.
for version in "${versions[@]}"; do
	echo "==> Python $version: unit suite (-m 'not integration'), log .venvs/py$version.log"
	run_suite "$version" >".venvs/py$version.log" 2>&1 &
	pids+=("$!")
done
for i in "${!versions[@]}"; do
	version=${versions[$i]}
	status=0
	wait "${pids[$i]}" || status=$?
	echo "==== Python $version (${pythons[$i]}) ===="
	cat ".venvs/py$version.log"
	case $status in
	0) ran+=("$version (${pythons[$i]})") ;;
	5) failed+=("$version (no tests collected: exit 5 is a failure here)") ;;
	*) failed+=("$version (pytest exit $status)") ;;
	esac
done

echo "---- other interpreters (main venv: Python $main_version) ----"
((${#ran[@]} == 0)) || printf '  ran:     %s\n' "${ran[@]}"
((${#failed[@]} == 0)) || printf '  FAILED:  %s\n' "${failed[@]}"
((${#skipped[@]} == 0)) || printf '  skipped: %s\n' "${skipped[@]}"
((${#failed[@]} == 0))
