#!/usr/bin/env bash
# tests/arm64/arm64-qemu.t — the aarch64 release binary (_build/arm64/usher, build/compile.sh
# arm64) run under qemu-aarch64-static: the binary itself, exit codes, signal forwarding,
# reaping as PID 1, env files, a login helper, the user switch.
#
# No binfmt_misc here: every aarch64 program is started as `qemu-aarch64-static PROG`, the
# workloads too (usher execs qemu, which runs the aarch64 workload). The workloads are the
# arm64 build's own test programs (ct-probe, login-echo). qemu-user runs the guest's system
# calls on the host kernel, so some things cannot be tested here, and are skipped, saying so:
# seccomp filters (the host kernel would get an aarch64 filter for x86-64 system calls; qemu
# refuses libseccomp's probes) and reaping as a subreaper (qemu rejects
# PR_SET_CHILD_SUBREAPER); reaping is tested with usher as PID 1 of a PID namespace.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"

skip_all() {
	skip "$1"
	done_testing
	exit $?
}
[ "${STATIC_BUILD:-0}" = 1 ] ||
	skip_all "arm64: the arm64 binary is a release build: tested once, from the release run (this is the ASan run)"
A="$BUILD_ROOT/arm64" Q=$(command -v qemu-aarch64-static || true)
U="$A/usher" PROBE="$A/tests/containers/ct-probe" ECHO="$A/tests/creds/login-echo"
if [ -z "$Q" ]; then
	ok 1 "qemu-aarch64-static is installed"
	diag "run build/setup.sh (package qemu-user-static)"
	done_testing
	exit 1
fi
for f in "$U" "$PROBE" "$ECHO"; do
	if [ ! -x "$f" ]; then
		ok 1 "$f is built"
		diag "run build/compile.sh release (or build/compile.sh arm64)"
		done_testing
		exit 1
	fi
done
tmp=$(mktemp -d /tmp/usher-arm64.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

# --- the binary ---------------------------------------------------------------------------------
hdr=$(readelf -hlS "$U")
like "$hdr" "Machine:[[:space:]]+AArch64" "_build/arm64/usher is an aarch64 program"
unlike "$hdr" "INTERP" "it is static (no program interpreter)"
unlike "$hdr" "\\.symtab" "it is stripped"
size=$(stat -c %s "$U")
[ "$size" -le 262144 ]
ok $? "it is within the 256 KiB budget ($size bytes)"
if [ -f "$BUILD_ROOT/SHA256SUMS" ]; then
	is "$(cd "$BUILD_ROOT" && sha256sum -c SHA256SUMS 2>&1 | tr '\n' ' ')" "usher: OK arm64/usher: OK " "SHA256SUMS (build/compile.sh release) matches both binaries"
else
	ok 1 "SHA256SUMS (build/compile.sh release) is written"
fi
# The seccomp profile precompiled for aarch64 at build time (seccomp-gen --arch aarch64).
grep -q '0xc00000b7' "$A/sandbox/seccomp-builtin.c" 2>/dev/null
ok $? "the built-in seccomp profile was precompiled for aarch64 (AUDIT_ARCH_AARCH64 in seccomp-builtin.c)"
like "$("$Q" "$U" --version 2>&1)" "^usher" "qemu-aarch64-static usher --version"
# init/format.c (the release vfprintf) against musl's own snprintf, built for aarch64.
fmt_out=$("$Q" "$A/tests/init/format-test" 2>&1)
fmt_rc=$?
is "$fmt_rc" 0 "aarch64 format-test (usher's vfprintf vs musl's snprintf) passes under qemu"
[ "$fmt_rc" = 0 ] || diag "$(grep -A1 '^not ok' <<<"$fmt_out" | head -20)"
like "$("$Q" "$U" --grace 10x -- true 2>&1)" "^usher: --grace: '10x' is not a duration" "an error line formatted by usher's vfprintf on aarch64"

# --- exit codes -------------------------------------------------------------------------------------
"$Q" "$U" -- "$Q" "$ECHO" --exit 42 >/dev/null 2>&1
is $? 42 "the workload's exit code comes back (42)"
"$Q" "$U" -e 42 -- "$Q" "$ECHO" --exit 42 >/dev/null 2>&1
is $? 0 "-e 42 maps it to 0"
"$Q" "$U" -- /no-such-program >/dev/null 2>"$tmp/nf.err"
is $? 127 "a missing program: 127"
like "$(cat "$tmp/nf.err")" "usher: .*no-such-program" "usher names the missing program"
"$Q" "$U" --no-such-option >/dev/null 2>&1
is $? 125 "a bad option: 125"

# --- signals: forwarded to the workload, its 100+N comes back ---------------------------------------
has() { [ -s "$1" ]; }
for sig in TERM:15 USR1:10 HUP:1; do
	name=${sig%%:*} n=${sig#*:}
	"$Q" "$U" -- "$Q" "$PROBE" "$tmp" signal "sig-$name" >/dev/null 2>&1 &
	pid=$!
	if wait_for 60 has "$tmp/sig-$name.ready"; then
		kill -s "$name" "$pid"
		wait "$pid"
		rc=$?
		is "$(cat "$tmp/sig-$name" 2>/dev/null)" "signal=$n from=$pid" "SIG$name sent to usher reaches the workload, from usher"
		is "$rc" $((100 + n)) "SIG$name: the workload's exit code $((100 + n)) comes back"
	else
		ok 1 "SIG$name: the workload started"
		kill "$pid" 2>/dev/null
	fi
done

# --- reaping, as PID 1 of a PID namespace (the namespace is the host's) -------------------------------
if unshare --pid --fork --mount-proc true 2>/dev/null; then
	timeout 120 unshare --pid --fork --mount-proc "$Q" "$PROBE" "$tmp" orphans control >/dev/null 2>&1
	is "$(cat "$tmp/control" 2>/dev/null)" "orphans=3 gone=0 zombie=3" "control: the probe as PID 1 (no usher) leaves its orphans zombies"
	timeout 120 unshare --pid --fork --mount-proc "$Q" "$U" -- "$Q" "$PROBE" "$tmp" orphans reaped >/dev/null 2>&1
	is $? 0 "usher as PID 1 under qemu: exit 0"
	is "$(cat "$tmp/reaped" 2>/dev/null)" "orphans=3 gone=3 zombie=0" "usher as PID 1 under qemu reaped the 3 orphans"
else
	ok 1 "unshare --pid --fork --mount-proc works (needs root)"
fi
skip "arm64: reaping as a subreaper (usher not PID 1): qemu-user rejects PR_SET_CHILD_SUBREAPER (EINVAL), so under qemu usher warns and cannot adopt orphans; on real arm64 hardware it is the same code as x86-64's"

# --- env files and a login helper -----------------------------------------------------------------
printf '%s\n' 'DB_USER=app' 'DB_PASSWORD="pw with # and spaces"' 'export DB_HOST=db.internal # comment' >"$tmp/app.env"
"$Q" "$U" --env-file "nomad:$tmp/app.env" -- "$Q" "$PROBE" "$tmp" status env DB_USER DB_PASSWORD DB_HOST 'arg=${DB_HOST}' >/dev/null 2>&1
is $? 0 "--env-file nomad: exit 0"
is "$(sed -n 's/^env DB_PASSWORD=//p' "$tmp/env")" "pw with # and spaces" "the workload sees the quoted DB_PASSWORD"
is "$(sed -n 's/^env DB_HOST=//p' "$tmp/env")" db.internal "export and comment handled"
is "$(sed -n 's/^arg //p' "$tmp/env")" "arg=db.internal" "\${DB_HOST} expanded in the workload's argv"
cat >"$tmp/usher.conf" <<EOF
[Login registry]
ExecStart=$Q $ECHO --env DB_USER --lines arg-\${DB_USER}
StandardInputText=\${DB_PASSWORD}
TimeoutSec=60s
EOF
out=$("$Q" "$U" --env-file "nomad:$tmp/app.env" --config "$tmp/usher.conf" -- "$Q" "$PROBE" "$tmp" status login DB_USER 2>&1)
is $? 0 "a login helper ([Login registry]) ran before the workload: exit 0"
like "$out" "env DB_USER: app" "the helper saw DB_USER"
like "$out" "stdin: \\*\\*\\*" "the helper read the password on stdin, masked in its output"
unlike "$out" "pw with" "the password is in no output line"
has "$tmp/login"
ok $? "the workload ran after the helper"
# A helper that never finishes (tests/creds/login-hang, built for arm64 too).
printf '[Login slow]\nExecStart=%s %s\nTimeoutSec=1s\n' "$Q" "$A/tests/creds/login-hang" >"$tmp/slow.conf"
"$Q" "$U" --config "$tmp/slow.conf" -- /bin/true >/dev/null 2>"$tmp/slow.err"
is $? 125 "a login helper that does not finish: 125 at its timeout"
like "$(cat "$tmp/slow.err")" 'login "slow": timed out after 1s' "usher says which helper timed out"

# --- the user switch (set*id calls pass through qemu to the host kernel) ---------------------------
if [ "$(id -u)" -eq 0 ]; then
	mkdir -p "$tmp/shared" && chmod 1777 "$tmp" "$tmp/shared"
	"$Q" "$U" --user 65534:65534 -- "$Q" "$PROBE" "$tmp/shared" status user >/dev/null 2>&1
	is $? 0 "--user 65534:65534: exit 0"
	like "$(sed -n 's/^Uid:[[:space:]]*//p' "$tmp/shared/user")" "^65534" "the workload runs as 65534"
	like "$(sed -n 's/^CapEff:[[:space:]]*//p' "$tmp/shared/user")" "^0+$" "with no effective capabilities"
else
	skip "arm64: --user needs root"
fi
skip "arm64: seccomp filters: under qemu-user the filter would go to the host kernel, which sees x86-64 system calls (and qemu refuses libseccomp's API probes: seccomp_attr_set fails); the aarch64 profile is precompiled at build time (checked above) and loaded only on real arm64"

done_testing
