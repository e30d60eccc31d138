#!/usr/bin/env bash
# tests/fuzz/run-fuzz.sh — runs libFuzzer harnesses and prints TAP.
#   run-fuzz.sh FUZZER SEED-DIR SECONDS   one target for SECONDS (what the test run does)
#   run-fuzz.sh --hours N [BUILD-DIR]     every target in BUILD-DIR (default _build/asan) in
#                                         turn, 10-minute sessions, for N hours in all
# New inputs go to a work corpus under the build dir (the seeds in tests/ stay as they are);
# a finding leaves its input there as crash-*, leak-*, timeout-* or oom-*, named in the output.
set -u
session() { # FUZZER SEED-DIR SECONDS — one libFuzzer run; 0 when it found nothing
	local fuzzer=$1 seeds=$2 seconds=$3 name work
	name=$(basename "$fuzzer")
	work="$(dirname "$fuzzer")/work/${name%-fuzz}"
	mkdir -p "$work/corpus" || return 1
	# -close_fd_mask=3: the parsers' own error lines stay out of the log (libFuzzer and the
	# sanitizers keep reporting). -timeout: one input may take 10 s at most (a hang is a
	# finding); -rss_limit_mb: so is memory without bound.
	"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 \
		-print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$seeds" >"$work/log" 2>&1
	local rc=$?
	grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/log" | sed 's/^/# /'
	if [ "$rc" -ne 0 ]; then
		grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' "$work/log" | head -20 | sed 's/^/# /'
		for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
			[ -f "$f" ] && echo "# input $f: $(od -An -c "$f" | head -n 4 | tr -s ' ')"
		done
		echo "# whole log: $work/log"
	fi
	return "$rc"
}

if [ "${1:-}" = "--hours" ]; then
	hours=${2:?usage: run-fuzz.sh --hours N [BUILD-DIR]}
	build=${3:-$(cd "$(dirname "$0")/../.." && pwd)/_build/asan}
	src=$(cd "$(dirname "$0")" && pwd)
	fuzzers=("$build"/tests/fuzz/*-fuzz)
	[ -x "${fuzzers[0]}" ] || { echo "no fuzzers in $build/tests/fuzz: build/compile.sh asan"; exit 1; }
	end=$(( $(date +%s) + hours * 3600 )) n=0 failed=0
	# Fresh processes every 10 minutes: parsers that keep what they parsed (option tables,
	# origin strings) grow, which is by design in a program that parses once.
	while [ "$(date +%s)" -lt "$end" ]; do
		for f in "${fuzzers[@]}"; do
			name=$(basename "$f"); name=${name%-fuzz}
			n=$((n + 1))
			if session "$f" "$src/corpus/$name" 600; then
				echo "ok $n - $name: 10 minutes, no finding"
			else
				echo "not ok $n - $name: a finding"; failed=$((failed + 1))
			fi
			[ "$(date +%s)" -lt "$end" ] || break
		done
	done
	echo "1..$n"
	exit $(( failed > 0 ))
fi

fuzzer=${1:?usage: run-fuzz.sh FUZZER SEED-DIR SECONDS}
seeds=${2:?} seconds=${3:?}
name=$(basename "$fuzzer")
if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
	echo "not ok 1 - ${name%-fuzz}: no seed corpus in $seeds"
	echo "1..1"
	exit 1
fi
if session "$fuzzer" "$seeds" "$seconds"; then
	echo "ok 1 - ${name%-fuzz}: ${seconds} s of fuzzing, no finding"
else
	echo "not ok 1 - ${name%-fuzz}: a finding (crash, leak, hang or memory)"
fi
echo "1..1"
