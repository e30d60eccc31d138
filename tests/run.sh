#!/usr/bin/env bash
# tests/run.sh — the one test command: sets up what is missing, builds the static musl release
# and the clang ASan/UBSan build, runs every test against both; the last line is "N passed, N failed".
set -u
cd "$(dirname "$0")/.."

fail_setup() {
	echo "usher tests: $1" >&2
	echo "0 passed, 1 failed"
	exit 1
}

build/setup.sh || fail_setup "build/setup.sh failed"
build/compile.sh release || fail_setup "release build failed"
build/compile.sh asan || fail_setup "ASan/UBSan build failed"

rc=0
python3 tests/lib/tap-run.py _build release "$@" || rc=1
python3 tests/lib/tap-run.py _build/asan asan "$@" || rc=1

read -r p1 f1 s1 < _build/tap-totals || fail_setup "no results from the release run"
read -r p2 f2 s2 < _build/asan/tap-totals || fail_setup "no results from the ASan run"
passed=$((p1 + p2)) failed=$((f1 + f2)) skipped=$((s1 + s2))
[ $((passed + failed)) -gt 0 ] || { failed=1; echo "no test ran"; }
[ "$failed" -eq 0 ] || rc=1
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
exit $rc
