#!/usr/bin/env bash
# tests/sandbox/seccomp-usher.t — usher --seccomp end to end: as PID 1 and not, the built-in,
# log and Docker profiles, with a user switch, and malformed profiles failing closed.
. "$SOURCE_ROOT/tests/lib/tap.sh"

T=$(mktemp -d /tmp/usher-seccomp.XXXXXX) || exit 1
chmod 0755 "$T"
trap 'rm -rf "$T"' EXIT
# --user 1000 below: the programs run from a copy that uid can reach wherever the checkout is.
PROGS=$(copy_for_any_user "$BUILD_ROOT/tests/sandbox" "$T/progs") || exit 1
PROBE="$PROGS/syscall-probe"

if ! "$USHER" --help 2>&1 | grep -q -- '--seccomp'; then
	skip "$USHER has no --seccomp"
	done_testing
	exit $?
fi
if [ "$(id -u)" -ne 0 ]; then
	skip "needs root (PID namespaces, a user switch)"
	done_testing
	exit $?
fi
if [ "$("$PROBE" seccomp_mode)" != "seccomp_mode 0" ]; then
	skip "the tests already run under a seccomp filter: no clean control"
	done_testing
	exit $?
fi

# result NAME — one probe's result in $OUT.
result() { printf '%s\n' "$OUT" | sed -n "s/^$1 //p"; }

check_default() { # WHERE
	is "$(result unshare)" EPERM "$1: unshare is EPERM"
	is "$(result mount)" EPERM "$1: mount is EPERM"
	is "$(result keyctl)" EPERM "$1: keyctl is EPERM"
	is "$(result clone3)" ENOSYS "$1: clone3 is ENOSYS"
	is "$(result socket_vsock)" EPERM "$1: socket(AF_VSOCK) is EPERM"
	is "$(result socket_inet)" ok "$1: socket(AF_INET) is allowed"
	is "$(result fork)" ok "$1: fork is allowed"
	is "$(result seccomp_mode)" 2 "$1: the workload's Seccomp field is 2"
}

OUT=$("$USHER" -- "$PROBE" 2>"$T/stderr")
is "$(result unshare)" ok "control: without --seccomp nothing is filtered"
is "$(result seccomp_mode)" 0 "control: Seccomp field 0"

# Docker's default capability set as the bounding set, as in a container: root keeps those.
DOCKER_CAPS=(setpriv --bounding-set -all,+chown,+dac_override,+fsetid,+fowner,+mknod,+net_raw,+setgid,+setuid,+setfcap,+setpcap,+net_bind_service,+sys_chroot,+kill,+audit_write)
OUT=$("$USHER" --seccomp default --seccomp unconfined -- "$PROBE" unshare seccomp_mode 2>"$T/stderr" | tr '\n' ' ')
is "$OUT" "unshare ok seccomp_mode 0 " "--seccomp unconfined (last one wins): no filter"

OUT=$("${DOCKER_CAPS[@]}" "$USHER" -v --seccomp default -- "$PROBE" 2>"$T/stderr")
check_default "--seccomp default, Docker's caps"
like "$(cat "$T/stderr")" "built-in profile: precompiled" "Docker's caps: the precompiled filter is loaded"
DEFAULT=$OUT

OUT=$(in_pidns "${DOCKER_CAPS[@]}" "$USHER" --seccomp default -- "$PROBE" 2>"$T/stderr")
check_default "--seccomp default, Docker's caps, usher as PID 1"

OUT=$("$USHER" --seccomp default --cap-drop SYS_ADMIN -- "$PROBE" 2>"$T/stderr")
check_default "--seccomp default --cap-drop SYS_ADMIN"

# Root keeping CAP_SYS_ADMIN: Docker's conditional rules allow what the capability unlocks.
OUT=$(in_pidns "$USHER" -v --seccomp default --cap-keep SYS_ADMIN -- "$PROBE" unshare mount clone3 keyctl 2>"$T/stderr")
is "$OUT" "$(printf 'unshare ok\nmount ENOENT\nclone3 EINVAL\nkeyctl EPERM')" \
	"--cap-keep SYS_ADMIN: unshare, mount, clone3 allowed; keyctl still EPERM"
like "$(cat "$T/stderr")" "built-in profile: built at start" "--cap-keep SYS_ADMIN: the filter is built at start"

OUT=$(in_pidns "$USHER" -v --seccomp default --user 1000 -- "$PROBE" 2>"$T/stderr")
check_default "--seccomp default --user 1000, as PID 1"
like "$(cat "$T/stderr")" "precompiled" "--user 1000: the precompiled filter is loaded"

OUT=$("$USHER" --seccomp log --cap-drop SYS_ADMIN -- "$PROBE" unshare keyctl seccomp_mode 2>"$T/stderr" | tr '\n' ' ')
is "$OUT" "unshare ok keyctl ok seccomp_mode 2 " "--seccomp log: refused calls are let through (logged)"

printf '[Service]\nSeccomp=default\nSeccompArchitectures=x86,x32\n' >"$T/usher.conf"
OUT=$("${DOCKER_CAPS[@]}" "$USHER" -v --config "$T/usher.conf" -- "$PROBE" 2>"$T/stderr")
is "$OUT" "$DEFAULT" "Seccomp= and SeccompArchitectures= in the config file: same answers"
like "$(cat "$T/stderr")" "built at start" "SeccompArchitectures=x86,x32: the filter is built at start"

FIX="$SHARED_DIR/fixtures/seccomp"
if [ -d "$FIX" ]; then
	OUT=$(in_pidns "${DOCKER_CAPS[@]}" "$USHER" --seccomp "$FIX/moby-default.json" -- "$PROBE" 2>"$T/stderr")
	is "$OUT" "$DEFAULT" "Docker's default profile: same answers as the built-in one, as PID 1"
else
	skip "no $FIX (SHARED_DIR): Docker's profile not tested"
fi

# Fail closed: exit 125, a message naming the file, the workload's marker never appears.
refused() { # WHAT PATTERN JSON-TEXT
	printf '%s' "$3" >"$T/bad.json"
	rm -f "$T/marker"
	in_pidns "$USHER" --seccomp "$T/bad.json" -- "$PROGS/write-marker" "$T/marker" >"$T/out" 2>"$T/stderr"
	is "$?" 125 "$1: exit 125"
	like "$(cat "$T/stderr")" "^usher: $T/bad.json: $2" "$1: says why"
	ok "$([ ! -e "$T/marker" ]; echo $?)" "$1: workload never ran"
}
refused "not JSON" "line 1: not valid JSON" '{defaultAction}'
refused "unknown action" "line 1: defaultAction: unknown action \"SCMP_ACT_MAYBE\"" '{"defaultAction": "SCMP_ACT_MAYBE"}'
refused "unknown operator" "line 1: syscalls\[0\].args\[0\]: unknown operator" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_NEAR"}]}]}'
values=$(seq 0 4999 | sed 's/.*/{"index": 0, "value": &, "op": "SCMP_CMP_EQ"}/' | paste -sd, -)
refused "filter too large (found when building)" "the filter has [0-9]+ instructions" \
	"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpriority\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [$values]}]}"
rm -f "$T/marker"
"$USHER" --seccomp '' -- "$PROGS/write-marker" "$T/marker" >"$T/out" 2>"$T/stderr"
is "$?" 125 "empty --seccomp: exit 125"
like "$(cat "$T/stderr")" "^usher: --seccomp: empty value" "empty --seccomp: says why"
"$USHER" --seccomp default --seccomp-arches x86,sparc -- "$PROGS/write-marker" "$T/marker" >"$T/out" 2>"$T/stderr"
is "$?" 125 "unknown --seccomp-arches: exit 125"
like "$(cat "$T/stderr")" "^usher: --seccomp-arches: unknown architecture \"sparc\"" "unknown --seccomp-arches: says why"
ok "$([ ! -e "$T/marker" ]; echo $?)" "bad option values: workload never ran"
"$USHER" --seccomp "$T/none.json" -- "$PROGS/write-marker" "$T/marker" >"$T/out" 2>"$T/stderr"
is "$?" 125 "missing profile: exit 125"
like "$(cat "$T/stderr")" "^usher: $T/none.json: No such file or directory" "missing profile: says why"
ok "$([ ! -e "$T/marker" ]; echo $?)" "missing profile: workload never ran"

# The control for the refusals: a valid profile runs the same workload.
printf '%s' '{"defaultAction": "SCMP_ACT_LOG"}' >"$T/good.json"
in_pidns "$USHER" --seccomp "$T/good.json" -- "$PROGS/write-marker" "$T/marker"
is "$?" 0 "control: a valid profile runs the workload"
ok "$([ -e "$T/marker" ]; echo $?)" "control: the marker appears"

done_testing
