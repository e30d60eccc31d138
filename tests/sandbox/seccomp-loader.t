#!/usr/bin/env bash
# tests/sandbox/seccomp-loader.t — the seccomp loader through seccomp.h alone (seccomp-harness):
# built-in and Docker profiles, every operator, includes/excludes, log mode, malformed files.
. "$SOURCE_ROOT/tests/lib/tap.sh"

PROGS="$BUILD_ROOT/tests/sandbox"
HARNESS="$PROGS/seccomp-harness"
PROBE="$PROGS/syscall-probe"
T=$(mktemp -d "${TMPDIR:-/tmp}/usher-seccomp.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
CAP_SYS_ADMIN=$((1 << 21))
CAP_SYS_PTRACE=$((1 << 19))
CAP_SYSLOG=$((1 << 34))

# probe HARNESS-ARGS... -- PROBES... — "name result" lines of the probe under a profile.
probe() { "$HARNESS" "$@" 2>"$T/stderr"; }
# result NAME — the result of one probe in $OUT.
result() { printf '%s\n' "$OUT" | sed -n "s/^$1 //p"; }

# The control: unconfined, nothing is filtered (the machine itself must not filter).
BASE=$(probe unconfined -- "$PROBE")
if [ "$(OUT=$BASE result seccomp_mode)" != 0 ]; then
	skip "the tests already run under a seccomp filter: no clean control"
	done_testing
	exit $?
fi
OUT=$BASE
is "$(result unshare)" ok "control: unshare(0) works unfiltered"
is "$(result clone3)" EINVAL "control: clone3 reaches the kernel unfiltered"
is "$(result personality_norandom)" ok "control: personality(ADDR_NO_RANDOMIZE) works unfiltered"
if [ "$(id -u)" -eq 0 ]; then
	isnt "$(result mount)" EPERM "control: mount fails for another reason than EPERM (root)"
else
	skip "not root: mount is EPERM even unfiltered"
fi

# The built-in default profile (precompiled variant for no kept caps).
OUT=$(probe -v default -- "$PROBE")
like "$(cat "$T/stderr")" "built-in profile: precompiled" "default: the precompiled filter is used"
for denied in unshare mount keyctl clone_newuts socket_alg socket_vsock personality_norandom syslog; do
	is "$(result $denied)" EPERM "default: $denied is EPERM"
done
is "$(result clone3)" ENOSYS "default: clone3 is ENOSYS, so libc falls back to clone"
for allowed in getpid fork socket_unix socket_inet personality_query; do
	is "$(result $allowed)" ok "default: $allowed is allowed"
done
is "$(result chmod)" ENOENT "default: chmod reaches the kernel"
is "$(result seccomp_mode)" 2 "default: the workload's Seccomp field is 2"
if [ "$(OUT=$BASE result mseal)" = ok ]; then
	is "$(result mseal)" ENOSYS "default: mseal, newer than the profile, is ENOSYS (not EPERM)"
else
	skip "this kernel has no mseal (unfiltered: $(OUT=$BASE result mseal))"
fi
DEFAULT=$OUT

# Capabilities the workload keeps unlock Docker's conditional rules: built at start then.
OUT=$(probe -v --caps "$(printf %x $CAP_SYS_ADMIN)" default -- "$PROBE")
like "$(cat "$T/stderr")" "built-in profile: built at start" "CAP_SYS_ADMIN kept: the filter is built at start"
is "$(result unshare)" ok "CAP_SYS_ADMIN kept: unshare is allowed"
if [ "$(id -u)" -eq 0 ]; then
	is "$(result clone_newuts)" ok "CAP_SYS_ADMIN kept: clone with namespace flags is allowed"
else
	skip "not root: the kernel refuses a new UTS namespace anyway"
fi
is "$(result clone3)" EINVAL "CAP_SYS_ADMIN kept: clone3 reaches the kernel"
is "$(result keyctl)" EPERM "CAP_SYS_ADMIN kept: keyctl is still EPERM"

# Compat arches on request: built at start, same answers for native syscalls.
OUT=$(probe -v --arches x86,x32 default -- "$PROBE")
like "$(cat "$T/stderr")" "built-in profile: built at start" "--seccomp-arches x86,x32: built at start"
is "$OUT" "$DEFAULT" "--seccomp-arches x86,x32: native syscalls answered as without"
# Other arches: killed as bad-arch unless asked for (an i386 syscall made with int 0x80).
if [ "$(uname -m)" = x86_64 ] && [ "$("$PROBE" i386_getpid 2>/dev/null)" = "i386_getpid ok" ]; then
	(probe default -- "$PROBE" i386_getpid >/dev/null) 2>/dev/null
	is "$?" $((128 + 31)) "native only: an i386 syscall kills the process (SIGSYS)"
	OUT=$(probe --arches x86 default -- "$PROBE" i386_getpid i386_mseal unshare | tr '\n' ' ')
	is "$OUT" "i386_getpid ok i386_mseal ENOSYS unshare EPERM " \
		"--seccomp-arches x86: i386 getpid allowed, newer i386 syscall ENOSYS, native rules kept"
else
	skip "no x86_64 with i386 emulation here"
	skip "no x86_64 with i386 emulation here"
fi
OUT=$(probe -v --arches native default -- "$PROBE")
like "$(cat "$T/stderr")" "precompiled" "--seccomp-arches native: precompiled"

# Log mode: nothing is refused (only logged), but clone3 still falls back.
OUT=$(probe -v log -- "$PROBE")
like "$(cat "$T/stderr")" "built-in profile \(log\): built at start" "log: not precompiled (the binary's size budget): built at start"
for p in unshare keyctl clone_newuts socket_vsock personality_norandom mount; do
	is "$(result $p)" "$(OUT=$BASE result $p)" "log: $p answers as unfiltered"
done
is "$(result clone3)" ENOSYS "log: clone3 is still ENOSYS"
is "$(result seccomp_mode)" 2 "log: Seccomp field is 2"

# Docker's own default profile behaves like the built-in one.
FIX="$SHARED_DIR/fixtures/seccomp"
if [ -d "$FIX" ]; then
	OUT=$(probe -v "$FIX/moby-default.json" -- "$PROBE")
	is "$OUT" "$DEFAULT" "moby-default.json: same answers as the built-in profile"
	like "$(cat "$T/stderr")" "\"uretprobe\" is not a syscall on amd64 or its compat arches, skipped" \
		"moby-default.json: names this libseccomp does not know are skipped with a note at -v"
	like "$(cat "$T/stderr")" "built at start in [0-9]+ us, [0-9]+ instructions" "moby-default.json: built at start"
	# The old-format file is an older Docker profile: socket, syslog unfiltered; no ptrace.
	OUT=$(probe "$FIX/moby-default-old-format.json" -- "$PROBE" unshare mount keyctl clone_newuts \
		personality_norandom fork socket_inet seccomp_mode | tr '\n' ' ')
	is "$OUT" "unshare EPERM mount EPERM keyctl EPERM clone_newuts EPERM personality_norandom EPERM fork ok socket_inet ok seccomp_mode 2 " \
		"moby-default-old-format.json (architectures, one name per rule) loads and filters"
	OUT=$(probe --caps "$(printf %x $CAP_SYS_ADMIN)" "$FIX/moby-default.json" -- "$PROBE" unshare clone3)
	is "$OUT" "$(printf 'unshare ok\nclone3 EINVAL')" "moby-default.json: CAP_SYS_ADMIN includes/excludes follow the caps"

	# conditional_include allows chmod, syslog and ptrace only: not even execve. The child
	# must still end (exit is allowed unless a profile names it), without running anything.
	rm -f "$T/marker"
	"$HARNESS" "$FIX/moby-conditional_include.json" -- "$PROGS/write-marker" "$T/marker" >"$T/out" 2>"$T/stderr"
	isnt "$?" 0 "moby-conditional_include.json: loads; execve is refused as it says; the child ends"
	ok "$([ ! -e "$T/marker" ]; echo $?)" "moby-conditional_include.json: the workload never ran"
	rm -f "$T/marker"
	"$HARNESS" "$FIX/moby-example.json" -- "$PROGS/write-marker" "$T/marker" >"$T/out" 2>"$T/stderr"
	is "$?" 125 "moby-example.json: refused (errnoRet 12345 is no errno; runc refuses it too)"
	like "$(cat "$T/stderr")" "^usher: $FIX/moby-example.json: line [0-9]+: syscalls\[3\].errnoRet: 12345 is not an errno" \
		"moby-example.json: says why"
	ok "$([ ! -e "$T/marker" ]; echo $?)" "moby-example.json: workload never ran"
else
	skip "no $FIX (SHARED_DIR): Docker's profiles not tested"
fi

# Every operator on getpriority's first argument; a match returns the rule's errno.
# Default ALLOW, so unmatched calls reach the kernel (getpriority(N > 2) is EINVAL).
op_profile() { # OP VALUE [VALUETWO]
	cat <<-JSON
	{ "defaultAction": "SCMP_ACT_ALLOW",
	  "syscalls": [ { "names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 99,
	                  "args": [ { "index": 0, "value": $2, "valueTwo": ${3:-0}, "op": "$1" } ] } ] }
	JSON
}
check_op() { # OP VALUE VALUETWO EXPECTED-FOR-3,5,7
	op_profile "$1" "$2" "$3" >"$T/op.json"
	OUT=$(probe "$T/op.json" -- "$PROBE" getpriority:3 getpriority:5 getpriority:7 | cut -d' ' -f2 | tr '\n' ' ')
	is "$OUT" "$4" "$1 $2${3:+/$3}: args 3, 5, 7 give $4"
}
check_op SCMP_CMP_NE 5 "" "errno99 EINVAL errno99 "
check_op SCMP_CMP_LT 5 "" "errno99 EINVAL EINVAL "
check_op SCMP_CMP_LE 5 "" "errno99 errno99 EINVAL "
check_op SCMP_CMP_EQ 5 "" "EINVAL errno99 EINVAL "
check_op SCMP_CMP_GE 5 "" "EINVAL errno99 errno99 "
check_op SCMP_CMP_GT 5 "" "EINVAL EINVAL errno99 "
check_op SCMP_CMP_MASKED_EQ 6 4 "EINVAL errno99 EINVAL "
# Full 64-bit values: 2^32+5 is not 5.
check_op SCMP_CMP_EQ 4294967301 "" "EINVAL EINVAL EINVAL "

# Two conditions on one argument are ORed, as runc does; on different arguments, ANDed.
cat >"$T/or.json" <<-'JSON'
{ "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [ { "names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 99,
                  "args": [ { "index": 0, "value": 3, "op": "SCMP_CMP_EQ" },
                            { "index": 0, "value": 7, "op": "SCMP_CMP_EQ" } ] } ] }
JSON
OUT=$(probe "$T/or.json" -- "$PROBE" getpriority:3 getpriority:5 getpriority:7 | cut -d' ' -f2 | tr '\n' ' ')
is "$OUT" "errno99 EINVAL errno99 " "two conditions on one argument: either matches"
cat >"$T/and.json" <<-'JSON'
{ "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [ { "names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 99,
                  "args": [ { "index": 0, "value": 3, "op": "SCMP_CMP_GE" },
                            { "index": 1, "value": 0, "op": "SCMP_CMP_EQ" } ] } ] }
JSON
OUT=$(probe "$T/and.json" -- "$PROBE" getpriority:1 getpriority:5 | cut -d' ' -f2 | tr '\n' ' ')
is "$OUT" "ok errno99 " "conditions on two arguments: both must match"

# includes/excludes against arch, caps and the running kernel; actions. Default ALLOW so any
# build of the probe starts; each rule matches one getpriority argument and says its own errno.
cat >"$T/cond.json" <<-'JSON'
{ "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
  "syscalls": [
    { "names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 101,
      "args": [{ "index": 0, "value": 101, "op": "SCMP_CMP_EQ" }], "includes": { "arches": ["amd64"] } },
    { "names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 102,
      "args": [{ "index": 0, "value": 102, "op": "SCMP_CMP_EQ" }], "includes": { "arches": ["arm64"] } },
    { "names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 103,
      "args": [{ "index": 0, "value": 103, "op": "SCMP_CMP_EQ" }], "includes": { "minKernel": "99.0" } },
    { "names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 104,
      "args": [{ "index": 0, "value": 104, "op": "SCMP_CMP_EQ" }], "excludes": { "minKernel": "3.10" } },
    { "names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 105,
      "args": [{ "index": 0, "value": 105, "op": "SCMP_CMP_EQ" }], "includes": { "caps": ["CAP_SYSLOG"] } },
    { "names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 106,
      "args": [{ "index": 0, "value": 106, "op": "SCMP_CMP_EQ" }], "excludes": { "caps": ["CAP_SYS_PTRACE"] } },
    { "names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 107,
      "args": [{ "index": 0, "value": 107, "op": "SCMP_CMP_EQ" }], "includes": { "minKernel": "3.10" },
      "excludes": { "arches": ["s390x"] } },
    { "name": "getpriority", "action": "SCMP_ACT_LOG", "args": [{ "index": 0, "value": 108, "op": "SCMP_CMP_EQ" }] },
    { "name": "getpriority", "action": "SCMP_ACT_KILL_PROCESS", "args": [{ "index": 0, "value": 109, "op": "SCMP_CMP_EQ" }] },
    { "name": "getpriority", "action": "SCMP_ACT_TRAP", "args": [{ "index": 0, "value": 110, "op": "SCMP_CMP_EQ" }] },
    { "name": "getpriority", "action": "SCMP_ACT_TRACE", "args": [{ "index": 0, "value": 111, "op": "SCMP_CMP_EQ" }] },
    { "name": "getpriority", "action": "SCMP_ACT_KILL", "args": [{ "index": 0, "value": 112, "op": "SCMP_CMP_EQ" }] },
    { "names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO" }
  ] }
JSON
OUT=$(probe -v "$T/cond.json" -- "$PROBE" getpriority:101 getpriority:102 getpriority:103 getpriority:104 \
	getpriority:105 getpriority:106 getpriority:107 getpriority:108 | cut -d' ' -f2 | tr '\n' ' ')
is "$OUT" "errno101 EINVAL EINVAL EINVAL EINVAL errno106 errno107 EINVAL " \
	"includes/excludes: arches (native, other), minKernel (above, below), caps (not kept), both; LOG passes"
like "$(cat "$T/stderr")" "\"no_such_syscall\" is not a syscall on amd64 or its compat arches, skipped" "unknown name: skipped with a note at -v"
OUT=$(probe --caps "$(printf %x $((CAP_SYSLOG | CAP_SYS_PTRACE)))" "$T/cond.json" -- "$PROBE" \
	getpriority:105 getpriority:106 | cut -d' ' -f2 | tr '\n' ' ')
is "$OUT" "errno105 EINVAL " "includes.caps kept: rule applies; excludes.caps kept: rule skipped"
(probe "$T/cond.json" -- "$PROBE" getpriority:109 >/dev/null) 2>/dev/null # no "Bad system call" noise
is "$?" $((128 + 31)) "SCMP_ACT_KILL_PROCESS kills with SIGSYS"
(probe "$T/cond.json" -- "$PROBE" getpriority:110 >/dev/null) 2>/dev/null
is "$?" $((128 + 31)) "SCMP_ACT_TRAP sends SIGSYS (no handler: the probe dies of it)"
(probe "$T/cond.json" -- "$PROBE" getpriority:112 >/dev/null) 2>/dev/null
is "$?" $((128 + 31)) "SCMP_ACT_KILL kills (the only thread) with SIGSYS"
OUT=$(probe "$T/cond.json" -- "$PROBE" getpriority:111)
is "$OUT" "getpriority:111 ENOSYS" "SCMP_ACT_TRACE without a tracer: ENOSYS"

# The ENOSYS stub is for errno defaults only: under a KILL default a newer syscall kills.
if [ "$(OUT=$BASE result mseal)" = ok ]; then
	printf '%s' '{"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]}' >"$T/kill.json"
	(probe "$T/kill.json" -- "$PROBE" mseal >/dev/null) 2>/dev/null
	is "$?" $((128 + 31)) "KILL_PROCESS default: a syscall newer than the profile kills (no ENOSYS)"
else
	skip "this kernel has no mseal"
fi

# flags go to seccomp(2); an unknown one is refused (below, with the malformed profiles).
printf '%s' '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"], "syscalls": [{"names": ["keyctl"], "action": "SCMP_ACT_ERRNO"}]}' >"$T/flags.json"
OUT=$(probe "$T/flags.json" -- "$PROBE" keyctl seccomp_mode | tr '\n' ' ')
is "$OUT" "keyctl EPERM seccomp_mode 2 " "flags LOG, SPEC_ALLOW, TSYNC: the filter loads with them"

# defaultErrnoRet: the built-in allow-list with 13 (EACCES) for the rest.
if [ -f "$SOURCE_ROOT/sandbox/seccomp-default.json" ]; then
	sed 's/"defaultErrnoRet": 1,/"defaultErrnoRet": 13,/' "$SOURCE_ROOT/sandbox/seccomp-default.json" >"$T/eacces.json"
	OUT=$(probe "$T/eacces.json" -- "$PROBE" unshare keyctl getpid | tr '\n' ' ')
	is "$OUT" "unshare EACCES keyctl EACCES getpid ok " "defaultErrnoRet 13: refused calls say EACCES"
else
	skip "no sandbox/seccomp-default.json under SOURCE_ROOT"
fi

# Malformed profiles: usher's message names the file and why; exit 125; workload never runs.
refused() { # WHAT PATTERN JSON-TEXT
	printf '%s' "$3" >"$T/bad.json"
	rm -f "$T/marker"
	"$HARNESS" "$T/bad.json" -- "$PROGS/write-marker" "$T/marker" >"$T/out" 2>"$T/stderr"
	is "$?" 125 "$1: exit 125"
	like "$(cat "$T/stderr")" "^usher: $T/bad.json: (line [0-9]+: )?$2" "$1: says why"
	ok "$([ ! -e "$T/marker" ]; echo $?)" "$1: workload never ran"
}
refused "truncated JSON" "not valid JSON: it ends too early" '{"defaultAction": "SCMP_ACT_ALLOW"'
refused "not JSON" "line 2: not valid JSON" $'{\n defaultAction: 1}'
refused "empty file" "empty file" ''
refused "top level array" "line 1: top level: expected an object" '[]'
refused "no defaultAction" "top level: has no \"defaultAction\"" '{"syscalls": []}'
refused "unknown action" "defaultAction: unknown action \"SCMP_ACT_FOO\"" '{"defaultAction": "SCMP_ACT_FOO"}'
refused "notify" "defaultAction: SCMP_ACT_NOTIFY needs a seccomp agent" '{"defaultAction": "SCMP_ACT_NOTIFY"}'
refused "unknown key" "syscalls\[0\]: unknown key \"arg\"" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "arg": []}]}'
refused "unknown operator" "syscalls\[0\].args\[0\]: unknown operator \"SCMP_CMP_ABOUT\"" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}'
refused "argument index 6" "syscalls\[0\].args\[0\]: index 6: syscalls have 6 arguments" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}'
refused "negative value" "syscalls\[0\].args\[0\]: expected a non-negative integer" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}]}'
refused "errnoRet with ALLOW" "syscalls\[0\]: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}]}'
refused "name and names" "syscalls\[0\]: has both \"name\" and \"names\"" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "getpid", "names": ["getppid"], "action": "SCMP_ACT_ALLOW"}]}'
refused "no action" "syscalls\[0\]: has no \"action\"" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpid"]}]}'
refused "archMap and architectures" "top level: has both \"architectures\" and \"archMap\"" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86"], "archMap": []}'
refused "unknown architecture" "architectures: unknown architecture \"SCMP_ARCH_VAX\"" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_VAX"]}'
refused "unknown capability" "syscalls\[0\].includes.caps: unknown capability \"CAP_NOPE\"" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_NOPE"]}}]}'
refused "bad minKernel" "syscalls\[0\].includes.minKernel: expected a kernel version like" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "new"}}]}'
refused "two documents" "end: text after the profile" '{"defaultAction": "SCMP_ACT_ALLOW"} {}'
refused "string for a number" "defaultErrnoRet: expected a non-negative integer" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": "1"}'
refused "unknown flag" "flags: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "flags": ["SECCOMP_FILTER_FLAG_FAST"]}'
refused "key without a value" "line 1: structure: expected \"key\": value" '{"defaultAction", "syscalls": []}'
refused "nested too deep" "structure: nested deeper than 16" \
	"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"comment\": $(printf '[%.0s' $(seq 20))$(printf ']%.0s' $(seq 20))}"
refused "repeated key" "line 3: repeated key: \"syscalls\" appears twice in one object" \
	$'{"defaultAction": "SCMP_ACT_ERRNO",\n "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}],\n "syscalls": []}'
refused "repeated action" "repeated key: \"action\" appears twice" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "action": "SCMP_ACT_LOG"}]}'
refused "listener" "listenerPath: seccomp agents are not supported" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "listenerPath": "/run/agent.sock"}'
# Found only when compiling: more BPF than the kernel takes (one rule per value on one argument).
values=$(seq 0 4999 | sed 's/.*/{"index": 0, "value": &, "op": "SCMP_CMP_EQ"}/' | paste -sd, -)
refused "filter too large" "the filter has [0-9]+ instructions; the kernel takes at most 4096" \
	"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpriority\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [$values]}]}"
rm -f "$T/marker"
"$HARNESS" "$T/does-not-exist.json" -- "$PROGS/write-marker" "$T/marker" >"$T/out" 2>"$T/stderr"
is "$?" 125 "missing file: exit 125"
like "$(cat "$T/stderr")" "^usher: $T/does-not-exist.json: No such file or directory$" "missing file: says why"
ok "$([ ! -e "$T/marker" ]; echo $?)" "missing file: workload never ran"
"$HARNESS" --arches x86,vax default -- "$PROGS/write-marker" "$T/marker" >"$T/out" 2>"$T/stderr"
is "$?" 125 "unknown compat arch: exit 125"
like "$(cat "$T/stderr")" "^usher: --seccomp-arches: unknown architecture \"vax\"" "unknown compat arch: says why"

"$HARNESS" --arches '' default -- "$PROGS/write-marker" "$T/marker" >"$T/out" 2>"$T/stderr"
is "$?" 125 "empty compat arch list: exit 125"
like "$(cat "$T/stderr")" "^usher: --seccomp-arches: empty value" "empty compat arch list: says why"
ok "$([ ! -e "$T/marker" ]; echo $?)" "bad compat arches: workload never ran"

# The controls for the refusals: a good profile lets the marker appear.
printf '%s' '{"defaultAction": "SCMP_ACT_LOG"}' >"$T/good.json"
"$HARNESS" "$T/good.json" -- "$PROGS/write-marker" "$T/marker"
is "$?" 0 "control: a valid profile runs the workload"
ok "$([ -e "$T/marker" ]; echo $?)" "control: the workload leaves its marker"

done_testing
