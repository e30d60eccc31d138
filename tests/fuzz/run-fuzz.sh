#!/usr/bin/env bash
# tests/fuzz/run-fuzz.sh FUZZER CORPUS — a short fixed budget (FUZZ_SECONDS, default 10) of one
# libFuzzer harness from its seed corpus; new inputs go to a temporary dir. TAP: one test.
set -u
fuzzer=$1 corpus=$2 seconds=${FUZZ_SECONDS:-10}
name=$(basename "$fuzzer")
work=$(mktemp -d /tmp/usher-fuzz.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
"$fuzzer" -max_total_time="$seconds" -close_fd_mask=2 -artifact_prefix="$work/" \
	"$work" "$corpus" >"$work/log" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then
	echo "ok 1 - $name: no finding in ${seconds}s ($(grep -c . "$work/log") log lines)"
else
	echo "not ok 1 - $name: exit $rc"
	sed 's/^/# /' "$work/log" | tail -n 40
	for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
		[ -f "$f" ] && echo "# input: $(od -An -c "$f" | head -n 4 | tr -s ' ')"
	done
fi
echo "1..1"
[ "$rc" -eq 0 ]
