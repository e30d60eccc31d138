#!/usr/bin/env bash
# tests/init/options.t — --help, --version, tini/dumb-init flags and variables, the config
# file's errors with file and line, subreaper mode when not PID 1.
. "$SOURCE_ROOT/tests/lib/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

help=$("$USHER" --help); rc=$?
is "$rc" 0 "--help exits 0"
for flag in -s -g -p -e -v -w -l -h -r -c --grace --config --env-file --user --seccomp; do
	like "$help" "(^| )$flag[ ,]" "--help documents $flag"
done
like "$("$USHER" --version)" '^usher version [0-9]' "--version prints the version"
like "$("$USHER" -l)" 'license' "-l prints license information"

# tini's and dumb-init's spellings work the same way.
is "$("$USHER" -s -w -v -- true 2>/dev/null; echo $?)" "0" "-s -w -v accepted"
is "$("$USHER" -swv true 2>/dev/null; echo $?)" "0" "clustered flags and no -- accepted"
is "$("$USHER" --single-child -- true; echo $?)" "0" "--single-child accepted"
is "$("$USHER" -p SIGTERM -- true; echo $?)" "0" "-p SIGTERM accepted"

# Subreaper mode when not PID 1, and said so with -v.
like "$("$USHER" -v -- true 2>&1)" "not PID 1 \(pid [0-9]+\): registered as a child subreaper" "-v says subreaper mode when not PID 1"
unlike "$(unshare --pid --fork --mount-proc "$USHER" -v -- true 2>&1)" "subreaper" "as PID 1 no subreaper message"
out=$("$USHER" -- sh -c "sh -c 'sleep 0.3 & echo \$!' > '$tmp/orphan'; sleep 0.1; grep PPid /proc/\$(cat '$tmp/orphan')/status; echo usher=\$PPID")
ppid=$(printf '%s\n' "$out" | sed -n 's/^PPid:\s*//p'); usher_pid=$(printf '%s\n' "$out" | sed -n 's/^usher=//p')
is "$ppid" "$usher_pid" "not PID 1: an orphan is re-parented to usher (subreaper)"

# TINI_VERBOSITY raises the verbosity like -v.
like "$(TINI_VERBOSITY=2 "$USHER" -- true 2>&1)" "subreaper" "TINI_VERBOSITY=2 works like -v"
like "$(USHER_VERBOSITY=3 "$USHER" -- true 2>&1)" "debug: workload" "USHER_VERBOSITY=3 shows debug messages"
is "$(USHER_GRACE=often "$USHER" -- true 2>&1; echo $?)" "usher: USHER_GRACE: 'often' is not a duration (e.g. 10s, 500ms, 2m; at most 576h)
125" "a bad USHER_* value names the variable"

# Config file: errors carry file and line.
conf="$tmp/usher.conf"
check_conf() { printf "$1" > "$conf"; "$USHER" --config "$conf" -- true 2>&1; echo $?; }
is "$(check_conf '[Service]\nTimeoutStopSec=3s\n# comment\n; comment\n\n')" "0" "a valid config file is accepted"
is "$(check_conf '[Service]\nNoSuchKey=1\n')" "usher: $conf:2: unknown key 'NoSuchKey' in [Service]
125" "unknown key: file:line and 125"
is "$(check_conf '[Service]\nTimeoutStopSec=forever\n')" "usher: $conf:2: 'forever' is not a duration (e.g. 10s, 500ms, 2m; at most 576h)
125" "bad value: file:line and 125"
is "$(check_conf 'TimeoutStopSec=1s\n')" "usher: $conf:1: 'TimeoutStopSec' comes before any section ([Service] or [Login NAME])
125" "key before a section: file:line"
is "$(check_conf '[Service]\njust words\n')" "usher: $conf:2: expected Key=Value
125" "a line without = : file:line"
is "$(check_conf '[Servise]\n')" "usher: $conf:1: unknown section [Servise] (expected [Service], [Service NAME] or [Login NAME])
125" "unknown section: file:line"
is "$("$USHER" --config "$tmp/missing.conf" -- true 2>&1; echo $?)" "usher: $tmp/missing.conf: No such file or directory
125" "missing config file: named, 125"
done_testing
