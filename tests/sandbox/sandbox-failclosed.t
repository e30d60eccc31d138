#!/usr/bin/env bash
# tests/sandbox/sandbox-failclosed.t — every failure of the sandbox phase stops usher with its
# own message and exit 125, and the workload's side effect (a marker file) never appears.
. "$SOURCE_ROOT/tests/lib/tap.sh"
. "$SOURCE_ROOT/tests/sandbox/sandbox-lib.sh"

chmod 1777 "$T" # the marker is written by uid 1000 in the controls

# refused WHAT PATTERN USHER-ARGS... — usher must exit 125, say PATTERN, not run the workload.
refused() {
	local what=$1 pattern=$2
	shift 2
	rm -f "$T/marker"
	in_image "${USHER_CLEAN[@]}" "$@" -- "$PROGS/write-marker" "$T/marker" >"$T/out" 2>"$T/stderr"
	is "$?" 125 "$what: exit 125"
	like "$(cat "$T/stderr")" "$pattern" "$what: says why"
	ok "$([ ! -e "$T/marker" ]; echo $?)" "$what: workload never ran"
}

# The controls: the same workload does leave its marker when nothing is wrong.
rm -f "$T/marker"
in_image "${USHER_CLEAN[@]}" --user alice --cap-keep NET_BIND_SERVICE -- "$PROGS/write-marker" "$T/marker"
is "$?" 0 "control: usher runs the workload"
ok "$([ -e "$T/marker" ]; echo $?)" "control: the workload leaves its marker"

refused "unknown user" "^usher: --user: no user 'mallory' in /etc/passwd$" --user mallory
refused "a prefix of a user name" "^usher: --user: no user 'ali' in /etc/passwd$" --user ali
refused "a malformed passwd line" "^usher: --user: no user 'broken' in /etc/passwd$" --user broken
refused "unknown group" "^usher: --user: no group 'wheel' in /etc/group$" --user alice:wheel
refused "unknown supplementary group" "^usher: --groups: no group 'nope' in /etc/group$" \
	--user alice --groups audio,nope
refused "malformed --user" "^usher: --user: expected USER or USER:GROUP" --user alice:
refused "unknown capability" "^usher: --cap-keep: unknown capability 'NET_BIND_SERVCE'$" \
	--user 1000 --cap-keep CHOWN,NET_BIND_SERVCE
refused "unknown capability to drop" "^usher: --cap-drop: unknown capability 'CAP_EVERYTHING'$" \
	--cap-drop CAP_EVERYTHING
refused "kept and dropped" "^usher: capabilities: NET_BIND_SERVICE both kept and dropped$" \
	--cap-keep NET_BIND_SERVICE --cap-drop NET_BIND_SERVICE
refused "bad rlimit" "^usher: --rlimit: expected VALUE or SOFT:HARD" --rlimit nofile=lots
refused "soft above hard" "^usher: --rlimit: soft limit above the hard limit" --rlimit nofile=20:10
refused "bad umask" "^usher: --umask: expected an octal mode" --umask 0999
# Fails in the child, after the fork: the kernel refuses more than fs.nr_open files.
nr_open=$(cat /proc/sys/fs/nr_open)
refused "rlimit the kernel refuses" "^usher: --rlimit: setting LimitNOFILE: Operation not permitted" \
	--user 1000 --rlimit "nofile=$((nr_open + 1))"

# A capability usher itself does not have cannot be kept: setpriv takes NET_RAW from it.
rm -f "$T/marker"
in_image setpriv --bounding-set -net_raw "${USHER_CLEAN[@]}" --cap-keep NET_RAW \
	-- "$PROGS/write-marker" "$T/marker" >"$T/out" 2>"$T/stderr"
is "$?" 125 "capability missing from usher's bounding set: exit 125"
like "$(cat "$T/stderr")" "cannot keep NET_RAW: usher itself does not have it" \
	"capability missing from usher's bounding set: says why"
ok "$([ ! -e "$T/marker" ]; echo $?)" "capability missing from usher's bounding set: workload never ran"

# A drop the kernel refuses in the child is fatal: setpriv takes CAP_SETUID, then CAP_SETPCAP,
# from usher, so setresuid and then the bounding-set drop fail after the fork.
# refused_without CAP WHAT PATTERN USHER-ARGS...
refused_without() {
	local cap=$1 what=$2 pattern=$3
	shift 3
	rm -f "$T/marker"
	in_image setpriv --bounding-set "-$cap" "${USHER_CLEAN[@]}" "$@" \
		-- "$PROGS/write-marker" "$T/marker" >"$T/out" 2>"$T/stderr"
	is "$?" 125 "$what: exit 125"
	like "$(cat "$T/stderr")" "$pattern" "$what: says why"
	ok "$([ ! -e "$T/marker" ]; echo $?)" "$what: workload never ran"
}
refused_without setuid "setresuid refused" "^usher: setresuid\(1000\): Operation not permitted \(usher runs as uid 0 without CAP_SETUID\)$" --user 1000
refused_without setpcap "bounding set drop refused" \
	"^usher: dropping capability [0-9]+ from the bounding set: Operation not permitted \(usher lacks CAP_SETPCAP\)$" \
	--user 1000

cat >"$T/bad.conf" <<'CONF'
[Service]
User=alice
KeepCapabilities=NET_BIND_SERVICE NOT_A_CAP
CONF
refused "unknown capability in the config file" "^usher: $T/bad.conf:3: unknown capability 'NOT_A_CAP'$" \
	--config "$T/bad.conf"

printf '{ "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [ { "names": [ "read" ], ' >"$T/bad.json"
refused "malformed seccomp profile" "bad\.json" --user 1000 --seccomp "$T/bad.json"
refused "missing seccomp profile" "nothere\.json" --seccomp "$T/nothere.json"

done_testing
