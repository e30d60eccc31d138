#!/usr/bin/env bash
# tests/sandbox/seccomp-compiled.t — `usher seccomp compile` and `--seccomp FILE.bpf`: the compiled
# and the JSON form of a profile answer every syscall alike; every mismatch is refused (125).
. "$SOURCE_ROOT/tests/lib/tap.sh"

PROGS="$BUILD_ROOT/tests/sandbox"
PROBE="$PROGS/syscall-probe"
T=$(mktemp -d "${TMPDIR:-/tmp}/usher-compiled.XXXXXX") || exit 1
chmod 0755 "$T"
trap 'rm -rf "$T"' EXIT

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

DOCKER_CAPS=(setpriv --bounding-set -all,+chown,+dac_override,+fsetid,+fowner,+mknod,+net_raw,+setgid,+setuid,+setfcap,+setpcap,+net_bind_service,+sys_chroot,+kill,+audit_write)
# Every x86-64 syscall number and then some, i386's through int 0x80, x32's: each with all
# arguments -1 (and native ones with all 0), each in its own child (syscall-probe.c).
SCAN="$PROBE scan native 0 470; $PROBE scan i386 0 470; $PROBE scan x32 0 550"
[ "$(uname -m)" = x86_64 ] || SCAN="$PROBE scan native 0 470" # no i386/x32 entry elsewhere
# scan OUT PREFIX... — the scan under `PREFIX... usher ARGS`, as PID 1, in fresh IPC/UTS/net
# namespaces (a call such as sethostname must not reach the host).
scan() {
	local out=$1
	shift
	unshare --ipc --uts --net --mount --pid --fork --mount-proc "$@" -- sh -c "$SCAN" >"$out" 2>"$out.err"
}

scan "$T/none" "$USHER"
ok "$([ "$(wc -l <"$T/none")" -gt 1800 ]; echo $?)" "control: the scan tries $(wc -l <"$T/none") calls"

# same NAME JSON SETUP... -- COMPILE-OPTIONS... : compiles JSON with the options, runs the scan
# under the JSON and under the compiled file with the same set-up, and compares.
same() {
	local name=$1 json=$2
	shift 2
	local setup=() opts=()
	while [ "$1" != -- ]; do setup+=("$1"); shift; done
	shift
	opts=("$@")
	local bpf="$T/$name.bpf"
	"${setup[@]}" "$USHER" seccomp compile "$json" -o "$bpf" "${opts[@]}" 2>"$T/compile.err"
	is "$?" 0 "$name: compiles"
	scan "$T/$name.json.out" "${setup[@]}" "$USHER" "${opts[@]}" --seccomp "$json"
	scan "$T/$name.bpf.out" "${setup[@]}" "$USHER" -v "${opts[@]}" --seccomp "$bpf"
	like "$(cat "$T/$name.bpf.out.err")" "seccomp: $bpf: compiled \(profile hash [0-9a-f]{16}\)" \
		"$name: the compiled file is what was loaded"
	local lines refused
	lines=$(wc -l <"$T/$name.bpf.out")
	refused=$(grep -c ' errno1$' "$T/$name.bpf.out")
	ok "$([ "$lines" -eq "$(wc -l <"$T/none")" ] && [ "$refused" -gt 100 ] && ! cmp -s "$T/none" "$T/$name.bpf.out"; echo $?)" \
		"$name: the filter is on ($lines calls, $refused EPERM)"
	if cmp -s "$T/$name.json.out" "$T/$name.bpf.out"; then
		ok 0 "$name: JSON and compiled answer all $lines calls alike"
	else
		ok 1 "$name: JSON and compiled answer all $lines calls alike"
		diff "$T/$name.json.out" "$T/$name.bpf.out" | head -n 20 | sed 's/^/# /'
	fi
}

OWN="$SOURCE_ROOT/sandbox/seccomp-default.json"
same "own, root, every capability" "$OWN" --
same "own, Docker's capabilities" "$OWN" "${DOCKER_CAPS[@]}" --
same "own, --user 1000 --cap-keep NET_BIND_SERVICE" "$OWN" -- --user 1000 --cap-keep NET_BIND_SERVICE
[ "$(uname -m)" != x86_64 ] || same "own, --seccomp-arches x86,x32" "$OWN" "${DOCKER_CAPS[@]}" -- --seccomp-arches x86,x32
# The built-in profile is that JSON: --seccomp default (precompiled or built) answers alike.
scan "$T/builtin.out" "$USHER" --seccomp default
ok "$(cmp -s "$T/builtin.out" "$T/own, root, every capability.bpf.out"; echo $?)" \
	"--seccomp default as root with every capability = its JSON compiled"
scan "$T/builtin-docker.out" "${DOCKER_CAPS[@]}" "$USHER" --seccomp default
ok "$(cmp -s "$T/builtin-docker.out" "$T/own, Docker's capabilities.bpf.out"; echo $?)" \
	"--seccomp default with Docker's capabilities = its JSON compiled"

FIX="$SHARED_DIR/fixtures/seccomp"
MOBY="$FIX/moby-default.json"
if [ -f "$MOBY" ]; then
	same "moby, root, every capability" "$MOBY" --
	same "moby, Docker's capabilities" "$MOBY" "${DOCKER_CAPS[@]}" --
	same "moby, --user 1000" "$MOBY" -- --user 1000
	same "moby, --seccomp-arches native" "$MOBY" "${DOCKER_CAPS[@]}" -- --seccomp-arches native
	same "moby old format" "$FIX/moby-default-old-format.json" "${DOCKER_CAPS[@]}" --
else
	skip "no $MOBY (SHARED_DIR): Docker's profile not compared"
fi

# --- refusals: exit 125, one line saying what differs, the workload never runs -----------------
BPF="$T/own, Docker's capabilities.bpf"
refused() { # WHAT PATTERN FILE PREFIX...
	local what=$1 pattern=$2 file=$3
	shift 3
	rm -f "$T/marker"
	unshare --pid --fork --mount-proc "$@" --seccomp "$file" -- "$PROGS/write-marker" "$T/marker" >"$T/out" 2>"$T/stderr"
	is "$?" 125 "$what: exit 125"
	like "$(cat "$T/stderr")" "^usher: $file: refused: $pattern" "$what: says what differs"
	is "$(wc -l <"$T/stderr")" 1 "$what: one line"
	ok "$([ ! -e "$T/marker" ]; echo $?)" "$what: the workload never ran"
}
refused "more capabilities than compiled for" \
	"compiled for other capabilities: this workload will lack none and have CAP_DAC_READ_SEARCH,.*CAP_SYS_ADMIN" \
	"$BPF" "$USHER"
refused "fewer capabilities (--user 1000)" "compiled for other capabilities: this workload will lack CAP_SYS_CHROOT and have none too" \
	"$BPF" "${DOCKER_CAPS[@]}" "$USHER" --user 1000
if [ "$(uname -m)" = x86_64 ]; then
	refused "another --seccomp-arches" "compiled for the architectures x86_64, --seccomp-arches asks for x86_64,x86,x32" \
		"$BPF" "${DOCKER_CAPS[@]}" "$USHER" --seccomp-arches x86,x32
	refused "native asked, compat compiled" "compiled for the architectures x86_64,x86,x32, --seccomp-arches asks for x86_64:" \
		"$T/own, --seccomp-arches x86,x32.bpf" "${DOCKER_CAPS[@]}" "$USHER" --seccomp-arches native
else
	skip "the architecture refusals are written for x86-64's compat arches"
fi

# patch FILE OFFSET HEXBYTES [fix] — overwrite bytes; with "fix" the checksum is made right
# again, so only the field's own check can refuse the file (header layout: seccomp-compiled.c).
patch() {
	python3 - "$@" <<'EOF'
import struct, sys
path, offset, data = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
b = bytearray(open(path, 'rb').read())
b[offset:offset + len(data)] = data
if len(sys.argv) > 4:
    b[112:120] = bytes(8)
    h = 0xcbf29ce484222325
    for c in b:
        h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
    b[112:120] = struct.pack('<Q', h)
open(path, 'wb').write(b)
EOF
}
variant() { cp "$BPF" "$T/v.bpf"; patch "$T/v.bpf" "$@"; }
variant 16 "392e392e3900" fix
refused "another usher version" "compiled by usher 9.9.9, this is usher " "$T/v.bpf" "${DOCKER_CAPS[@]}" "$USHER"
variant 12 "b70000c0" fix
refused "a file for another architecture (aarch64)" "compiled for another architecture" "$T/v.bpf" "${DOCKER_CAPS[@]}" "$USHER"
variant 200 "ff"
refused "a flipped byte in the filter" "checksum mismatch \(corrupted\)" "$T/v.bpf" "${DOCKER_CAPS[@]}" "$USHER"
variant 80 "ff"
refused "a flipped byte in the header (caps)" "checksum mismatch \(corrupted\)" "$T/v.bpf" "${DOCKER_CAPS[@]}" "$USHER"
cp "$BPF" "$T/v.bpf"
truncate -s -1 "$T/v.bpf"
refused "a file one byte short" "its size does not match its header" "$T/v.bpf" "${DOCKER_CAPS[@]}" "$USHER"
head -c 60 "$BPF" >"$T/v.bpf"
rm -f "$T/marker"
"${DOCKER_CAPS[@]}" "$USHER" --seccomp "$T/v.bpf" -- "$PROGS/write-marker" "$T/marker" >"$T/out" 2>"$T/stderr"
is "$?" 125 "a file cut inside its header: exit 125"
like "$(cat "$T/stderr")" "^usher: $T/v.bpf: not a compiled profile of this usher: 60 bytes" "a file cut inside its header: says so"
ok "$([ ! -e "$T/marker" ]; echo $?)" "a file cut inside its header: the workload never ran"
variant 8 "02000000" fix
refused "another format version" "another format version" "$T/v.bpf" "${DOCKER_CAPS[@]}" "$USHER"

# The control for the refusals: the unpatched file runs the same workload.
rm -f "$T/marker"
in_pidns "${DOCKER_CAPS[@]}" "$USHER" --seccomp "$BPF" -- "$PROGS/write-marker" "$T/marker"
is "$?" 0 "control: the matching compiled file runs the workload"
ok "$([ -e "$T/marker" ]; echo $?)" "control: the marker appears"

# --- the subcommand itself --------------------------------------------------------------------
"$USHER" seccomp compile "$OWN" 2>"$T/stderr"
is "$?" 2 "compile without -o: exit 2"
like "$(cat "$T/stderr")" "^usher: seccomp compile: -o PROFILE.bpf is missing" "compile without -o: says so"
"$USHER" seccomp compile "$OWN" -o "$T/x.bpf" --rlimit nofile=1 2>"$T/stderr"
is "$?" 2 "compile with an option that does not decide the filter: exit 2"
printf '{"defaultAction": "SCMP_ACT_MAYBE"}' >"$T/bad.json"
"$USHER" seccomp compile "$T/bad.json" -o "$T/x.bpf" 2>"$T/stderr"
is "$?" 125 "compile of a bad profile: exit 125"
like "$(cat "$T/stderr")" "^usher: $T/bad.json: line 1: defaultAction: unknown action" "compile of a bad profile: says why"
ok "$([ ! -e "$T/x.bpf" ] && [ ! -e "$T/x.bpf.tmp" ]; echo $?)" "compile of a bad profile: no file written"
"$USHER" seccomp compile "$OWN" -o "$T/x.bpf" --user no-such-user-here 2>"$T/stderr"
is "$?" 125 "compile for an unknown user: exit 125"
# Only as the first argument: after options or `--` "seccomp" is a command to run.
"$USHER" -- seccomp >"$T/out" 2>"$T/stderr"
is "$?" 127 "usher -- seccomp runs a command named seccomp (not found: 127)"

done_testing
