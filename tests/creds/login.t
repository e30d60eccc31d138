#!/usr/bin/env bash
# tests/creds/login.t — login helpers end to end with real helper programs: hung helpers and
# their grandchildren, retries, masking, missing helpers, pipes, and no secret in any /proc.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"

bin="$BUILD_ROOT/tests/creds"
T=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$T"' EXIT

# The runner: usher (the login half no longer runs processes on its own: init/helpers.c runs
# each attempt on the process engine, so there is no separate driver to test).
[ -x "${USHER:-}" ] || { skip "usher is not built"; done_testing; exit; }
runners=(usher)

# run CONF [COMMAND...] — the login phase with $T/env loaded, then COMMAND as the workload.
# run_bg CONF OUT — the same in the background, $pid being usher's own pid.
run() {
	local conf=$1; shift
	[ $# -gt 0 ] || set -- "$bin/login-echo" workload-ran
	if [ "$runner" = usher ]; then
		${EXEC:-} "$USHER" --config "$conf" --env-file "$T/env" -- "$@"
	else
		${EXEC:-} "$bin/login-driver" "$conf" "$T/env" -- "$@"
	fi
}
run_bg() {
	(EXEC=exec run "$1" > "$2" 2>&1) &
	pid=$!
}

secret="pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s' "$secret" > "$T/secret"
printf 'password=%s\nusername=app-0000-1111\n' "$secret" > "$T/env"
chmod 600 "$T/env" "$T/secret"  # as Nomad's secrets dir would have it (usher warns otherwise)

# leaks FILE — true if FILE holds the secret (grep reads the pattern from a file, so the
# secret is in no argv here either).
leaks() { grep -aqF -f "$T/secret" "$1"; }

for runner in "${runners[@]}"; do
	diag "runner: $runner"
	r="[$runner]"

	# --- a hung helper with a grandchild, both ignoring SIGTERM: SIGKILL after the grace
	cat > "$T/hang.conf" <<-EOF
		[Login hang]
		ExecStart=$bin/login-hang --pidfile $T/hang.pids --grandchild --ignore-term
		TimeoutSec=1
		TimeoutStopSec=1
	EOF
	rm -f "$T/hang.pids"
	start=$(date +%s)
	# in_pidns cannot call a shell function: the runner is chosen again inside.
	out=$(in_pidns env RUNNER="$runner" USHER="${USHER:-}" BIN="$bin" T="$T" bash -c '
		if [ "$RUNNER" = usher ]; then "$USHER" --config "$T/hang.conf" --env-file "$T/env" -- "$BIN/login-echo" workload-ran
		else "$BIN/login-driver" "$T/hang.conf" "$T/env" -- "$BIN/login-echo" workload-ran; fi 2>&1
		echo "rc=$?"' 2>&1)
	elapsed=$(( $(date +%s) - start ))
	like "$out" 'rc=125' "$r a required helper that times out: exit 125"
	like "$out" 'usher: login "hang": timed out after 1s' "$r one line names the helper and the timeout"
	unlike "$out" 'workload-ran' "$r the workload did not start"
	ok $(( elapsed < 60 ? 0 : 1 )) "$r done well within bounds (timeout 1s + grace 1s; took ${elapsed}s)"
	[ -s "$T/hang.pids" ]; ok $? "$r the helper had started its grandchild"

	# Optional, then a helper that lists what is left: usher is PID 1 and reaps the group.
	cat > "$T/hang2.conf" <<-EOF
		[Login hang]
		ExecStart=$bin/login-hang --pidfile $T/hang2.pids --grandchild --ignore-term
		TimeoutSec=1
		TimeoutStopSec=500ms
		Optional=yes
		[Login survey]
		ExecStart=$bin/login-echo --processes
	EOF
	out=$(in_pidns env RUNNER="$runner" USHER="${USHER:-}" BIN="$bin" T="$T" bash -c '
		if [ "$RUNNER" = usher ]; then exec "$USHER" --config "$T/hang2.conf" --env-file "$T/env" -- "$BIN/login-echo" --processes
		else exec "$BIN/login-driver" "$T/hang2.conf" "$T/env" -- "$BIN/login-echo" --processes; fi' 2>&1)
	like "$out" 'login "hang": timed out after 1s; optional, continuing' "$r an optional helper's timeout is a warning"
	read -r hang_pid grand_pid < "$T/hang2.pids" 2>/dev/null || { hang_pid=x; grand_pid=x; }
	isnt "$grand_pid" 0 "$r the optional helper had a grandchild (pid $grand_pid in the namespace)"
	survey=$(printf '%s\n' "$out" | grep 'usher: survey: process:' || true)
	is "$(printf '%s\n' "$survey" | grep -c 'process:')" 1 "$r after the timeout only PID 1 is left (helper, grandchild reaped)"
	like "$survey" 'process: 1 ' "$r ... and that one is PID 1"
	unlike "$out" "process: ($hang_pid|$grand_pid) " "$r neither the helper nor its grandchild is in the workload's /proc"

	# Outside a PID namespace usher is not PID 1: the group is still killed.
	rm -f "$T/hang.pids"
	out=$(run "$T/hang.conf" 2>&1); rc=$?
	is "$rc" 125 "$r not PID 1: exit 125"
	read -r hang_pid grand_pid < "$T/hang.pids" 2>/dev/null || { hang_pid=0; grand_pid=0; }
	gone() { [ ! -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status"; }
	wait_for 30 gone "$grand_pid"; ok $? "$r not PID 1: the grandchild ($grand_pid) is gone too"

	# --- a stopped helper with a SIGTERM handler: SIGCONT lets the handler run
	cat > "$T/stopped.conf" <<-EOF
		[Login stopped]
		ExecStart=$bin/login-hang --term-marker $T/stopped.term --stop-self
		TimeoutSec=1
		TimeoutStopSec=2min
		Optional=yes
	EOF
	rm -f "$T/stopped.term"
	out=$(run "$T/stopped.conf" 2>&1); rc=$?
	is "$rc" 0 "$r a helper that stopped itself: optional, so the start goes on"
	like "$out" 'login "stopped": timed out after 1s' "$r ... after its timeout"
	[ -e "$T/stopped.term" ]; ok $? "$r ... and its SIGTERM handler ran: SIGCONT came with SIGTERM"

	# --- SIGTERM while a helper runs: 128+15, the group killed, no start
	cat > "$T/term.conf" <<-EOF
		[Login slow]
		ExecStart=$bin/login-hang --pidfile $T/term.pids --grandchild
		TimeoutSec=5min
	EOF
	rm -f "$T/term.pids"
	run_bg "$T/term.conf" "$T/term.out"
	wait_for 30 test -s "$T/term.pids"
	kill -TERM "$pid"
	wait "$pid"; rc=$?
	pid=
	is "$rc" 143 "$r SIGTERM during a helper: exit 143"
	like "$(cat "$T/term.out")" 'login "slow": interrupted by SIGTERM; not starting' "$r ... with a one-line reason"
	unlike "$(cat "$T/term.out")" 'workload-ran' "$r ... and no workload"
	read -r hang_pid grand_pid < "$T/term.pids"
	wait_for 30 gone "$grand_pid"; ok $? "$r ... and the helper's grandchild is gone"

	# --- SIGTERM while waiting to retry: 128+15 at once, not after the backoff
	rm -f "$T/backoff.state"
	printf '[Login backoff]\nExecStart=%s/login-flaky %s/backoff.state 5\nRetries=3\nRetrySec=2min\n' "$bin" "$T" > "$T/backoff.conf"
	run_bg "$T/backoff.conf" "$T/backoff.out"
	wait_for 30 grep -q 'retrying in 2min' "$T/backoff.out"
	kill -TERM "$pid"
	wait "$pid"; rc=$?
	pid=
	is "$rc" 143 "$r SIGTERM between retries: exit 143"
	like "$(cat "$T/backoff.out")" 'login "backoff": interrupted by SIGTERM; not starting' "$r ... with a one-line reason"
	is "$(cat "$T/backoff.state")" 1 "$r ... and no further attempt"

	# --- fails, then succeeds on retry
	rm -f "$T/flaky.state"
	cat > "$T/flaky.conf" <<-EOF
		[Login flaky]
		ExecStart=$bin/login-flaky $T/flaky.state 2
		Retries=2
		RetrySec=100ms
	EOF
	out=$(run "$T/flaky.conf" 2>&1); rc=$?
	is "$rc" 0 "$r fails twice, third attempt succeeds: exit 0"
	is "$(cat "$T/flaky.state")" 3 "$r ... the helper ran exactly 3 times"
	is "$(printf '%s\n' "$out" | grep -c 'retrying in')" 2 "$r ... two retry warnings"
	like "$out" 'retrying in 200ms \(attempt 3 of 3\)' "$r ... the backoff doubles"
	like "$out" 'usher: flaky: run 3: logged in' "$r ... helper output prefixed with its name"
	like "$out" 'workload-ran' "$r ... then the workload starts"
	rm -f "$T/flaky.state"
	sed -i 's/^Retries=2/Retries=1/' "$T/flaky.conf"
	out=$(run "$T/flaky.conf" 2>&1); rc=$?
	is "$rc" 125 "$r retries used up: exit 125"
	like "$out" 'usher: login "flaky": exited with status 3 \(2 attempts\)' "$r ... one line with the last status"
	is "$(cat "$T/flaky.state")" 2 "$r ... the helper ran exactly twice"

	# --- a helper that prints the secret: masked on every line
	cat > "$T/print.conf" <<-EOF
		[Login print]
		ExecStart=$bin/login-echo --lines --env password --no-newline half-\${username}
		StandardInputText=the password is \${password}
		[Login long]
		ExecStart=$bin/login-echo --long 16380
		StandardInputText=\${password}
	EOF
	out=$(run "$T/print.conf" 2>&1); rc=$?
	is "$rc" 0 "$r a helper that prints the secret succeeds"
	printf '%s' "$out" > "$T/print.out"
	leaks "$T/print.out"; ok $(( ! $? )) "$r the secret is in none of usher's output"
	like "$out" 'usher: print: stdin: \*\*\*' "$r stdout line masked"
	like "$out" 'usher: print: stdin to stderr: \*\*\*' "$r stderr line masked"
	like "$out" 'usher: print: env password: \(unset\)' "$r a loaded secret is not in the helper's environment"
	like "$out" 'usher: long: \*\*\*end' "$r a secret across the relay's 16 KiB line buffer is masked whole"
	unlike "$out" "${secret:0:8}" "$r ... no piece of it is printed either"
	like "$out" 'usher: print: half-\*\*\*' "$r a last line without a newline is printed, masked"
	unlike "$out" 'app-0000-1111' "$r every loaded value is masked (username too)"

	# --- a missing helper, a non-executable one
	cat > "$T/missing.conf" <<-EOF
		[Login missing]
		ExecStart=nosuch-login-helper --flag
	EOF
	out=$(run "$T/missing.conf" 2>&1); rc=$?
	is "$rc" 125 "$r missing helper: exit 125"
	like "$out" '^usher: login "missing": nosuch-login-helper: not found in PATH' "$r ... clear one-line error"
	is "$(printf '%s\n' "$out" | grep -c .)" 1 "$r ... and only that line"
	printf '[Login abs]\nExecStart=%s/nowhere/helper\n' "$T" > "$T/abs.conf"
	out=$(run "$T/abs.conf" 2>&1); rc=$?
	is "$rc" 125 "$r missing absolute path: exit 125"
	like "$out" "login \"abs\": cannot execute $T/nowhere/helper: No such file or directory" "$r ... names the path and errno"
	printf 'not a program\n' > "$T/noexec"; chmod 644 "$T/noexec"
	printf '[Login noexec]\nExecStart=%s/noexec\n' "$T" > "$T/noexec.conf"
	out=$(run "$T/noexec.conf" 2>&1); rc=$?
	is "$rc" 125 "$r non-executable helper: exit 125"
	like "$out" 'cannot execute .*: Permission denied' "$r ... Permission denied"

	# --- stdout of one helper into the next one's stdin, no shell
	cat > "$T/pipe.conf" <<-EOF
		[Login token]
		ExecStart=$bin/login-echo --cat
		StandardInputText=token-\${password}
		[Login registry]
		ExecStart=$bin/login-hang --stdin-to $T/pipe.got
		StandardInput=output-of:token
		TimeoutSec=30
	EOF
	# login-hang without --release waits forever; give it a release file that exists.
	sed -i "s|--stdin-to $T/pipe.got|--stdin-to $T/pipe.got --release $T/secret|" "$T/pipe.conf"
	rm -f "$T/pipe.got"
	out=$(run "$T/pipe.conf" 2>&1); rc=$?
	is "$rc" 0 "$r pipe: exit 0"
	is "$(cat "$T/pipe.got" 2>/dev/null)" "token-$secret" "$r pipe: the second helper read the first one's stdout"
	unlike "$out" 'token-' "$r pipe: the captured token is not printed"
	sed -i "s|ExecStart=$bin/login-echo --cat|ExecStart=$bin/login-echo --cat --exit 4|" "$T/pipe.conf"
	rm -f "$T/pipe.got"
	out=$(run "$T/pipe.conf" 2>&1); rc=$?
	is "$rc" 125 "$r pipe: a failing first stage stops the start"
	like "$out" 'login "token": exited with status 4' "$r ... naming the first stage"
	[ ! -e "$T/pipe.got" ]; ok $? "$r ... and the second stage never ran"
	sed -i 's/^StandardInput\(Text\)*=/Optional=yes\n&/' "$T/pipe.conf"
	out=$(run "$T/pipe.conf" 2>&1); rc=$?
	is "$rc" 0 "$r pipe: both optional, first fails: the start goes on"
	like "$out" 'login "registry": not run: its input, the output of "token", is missing; optional' "$r ... the second says why it did not run"

	# --- stdin from a file
	printf '[Login fromfile]\nExecStart=%s/login-hang --stdin-to %s/file.got --release %s/secret\nStandardInput=file:%s/secret\n' \
		"$bin" "$T" "$T" "$T" > "$T/file.conf"
	out=$(run "$T/file.conf" 2>&1); rc=$?
	is "$rc" 0 "$r StandardInput=file: exit 0"
	cmp -s "$T/file.got" "$T/secret"; ok $? "$r ... the helper read that file on stdin"
	sed -i "s|StandardInput=file:$T/secret|StandardInput=file:$T/no-such-file|" "$T/file.conf"
	out=$(run "$T/file.conf" 2>&1); rc=$?
	is "$rc" 125 "$r StandardInput=file: missing: exit 125"
	like "$out" "^usher: login \"fromfile\": StandardInput=file:$T/no-such-file: No such file or directory\$" "$r ... one line naming the file"

	# --- the helper's process: stdin /dev/null, signals reset, no stray fds, own session
	printf '[Login describe]\nExecStart=%s/login-echo --describe\n' "$bin" > "$T/describe.conf"
	out=$(run "$T/describe.conf" 2>&1)
	like "$out" 'describe: stdin: chardev' "$r stdin is /dev/null without StandardInputText="
	like "$out" 'describe: session leader: yes' "$r the helper leads its own session"
	like "$out" 'describe: /dev/tty: cannot open' "$r the helper has no controlling terminal"
	like "$out" 'describe: SigBlk:[[:space:]]+0+$' "$r no signal blocked in the helper"
	like "$out" 'describe: SigIgn:[[:space:]]+0+$' "$r no signal ignored in the helper"
	like "$out" 'describe: extra fds: 0' "$r no fd beyond 0-2 inherited"
	# The same with usher on a terminal (script(1) gives it one): the helper still has none.
	if command -v script >/dev/null; then
		control=$(script -qec "$bin/login-echo --describe" /dev/null 2>&1)
		if printf '%s' "$control" | grep -q '/dev/tty: opened'; then
			tty_out=$(RUNNER=$runner USHER="${USHER:-}" BIN=$bin T=$T script -qec '
				if [ "$RUNNER" = usher ]; then "$USHER" --config "$T/describe.conf" --env-file "$T/env" -- "$BIN/login-echo" --describe
				else "$BIN/login-driver" "$T/describe.conf" "$T/env" -- "$BIN/login-echo" --describe; fi' /dev/null 2>&1)
			like "$tty_out" 'usher: describe: /dev/tty: cannot open' "$r usher on a terminal: the helper cannot open /dev/tty"
			like "$tty_out" 'usher: describe: stdin: chardev' "$r usher on a terminal: the helper's stdin is still /dev/null"
		else
			skip "script(1) gave no controlling terminal here"
		fi
	else
		skip "no script(1) to give usher a terminal"
	fi

	# --- no secret in any argv or environ: usher, every helper, every grandchild
	cat > "$T/scan.conf" <<-EOF
		[Login first]
		ExecStart=$bin/login-hang --pidfile $T/scan1.pids --grandchild --echo-stdin --release $T/scan1.go
		StandardInputText=\${password}
		Environment=HOME=$T AZURE_CORE_COLLECT_TELEMETRY=false
		[Login second]
		ExecStart=$bin/login-hang --pidfile $T/scan2.pids --stdin-to $T/scan2.got --release $T/scan2.go
		StandardInput=output-of:first
	EOF
	# scan_pids FILE — 0: the secret is in no cmdline or environ of usher and FILE's pids;
	# 1: it is in one; 2: something could not be read (which proves nothing).
	scan_pids() {
		local p f found=0 a=0 b=0 seen=0
		read -r a b < "$1" || return 2
		for p in "$pid" "$a" "$b"; do
			[ "$p" -gt 0 ] 2>/dev/null || continue
			for f in cmdline environ; do
				cp "/proc/$p/$f" "$T/proc.$f" 2>/dev/null || { diag "cannot read /proc/$p/$f"; return 2; }
				seen=$((seen + 1))
				leaks "$T/proc.$f" && { diag "secret in /proc/$p/$f"; found=1; }
			done
		done
		[ "$seen" -ge 4 ] || return 2
		return $found
	}
	scan_run() {
		rm -f "$T"/scan?.pids "$T"/scan?.go "$T/scan2.got"
		run_bg "$T/scan.conf" "$T/scan.out"
		wait_for 30 test -s "$T/scan1.pids"; scan_pids "$T/scan1.pids"; s1=$?
		touch "$T/scan1.go"
		if wait_for 30 test -s "$T/scan2.pids"; then scan_pids "$T/scan2.pids"; s2=$?; else s2=2; fi
		touch "$T/scan2.go"
		wait "$pid"; rc=$?
		pid=
	}
	scan_run
	is "$rc" 0 "$r scan run: exit 0"
	is "$s1" 0 "$r no secret in /proc/PID/cmdline or environ of usher, helper 1 and its grandchild"
	is "$s2" 0 "$r no secret in /proc/PID/cmdline or environ of usher and helper 2"
	is "$(cat "$T/scan2.got" 2>/dev/null)" "$secret" "$r ... yet helper 2 got it through the pipe"
	# The scan can fail: a secret put in argv, and one put in Environment=, are found.
	sed -i "s|--echo-stdin --release|--echo-stdin --ignored \${password} --release|" "$T/scan.conf"
	scan_run
	is "$s1" 1 "$r control: a secret in ExecStart= is found in /proc/PID/cmdline"
	sed -i "s| --ignored \${password} --release| --release|; s|^Environment=HOME=$T|Environment=HOME=$T LEAK=\${password}|" "$T/scan.conf"
	scan_run
	is "$s1" 1 "$r control: a secret in Environment= is found in /proc/PID/environ"
	leaks "$T/scan.out"; ok $(( ! $? )) "$r ... and never in usher's output"

	# --- a captured stdout is bounded: more than 64 KiB fails the helper; StandardOutput=null
	printf '[Login big]\nExecStart=%s/login-echo --long 70000\nStandardOutput=capture\n' "$bin" > "$T/big.conf"
	out=$(run "$T/big.conf" 2>&1); rc=$?
	is "$rc" 125 "$r a captured stdout over 64 KiB: exit 125"
	like "$out" 'usher: login "big": wrote more than 64 KiB to a captured stdout' "$r ... one line says so"
	unlike "$out" 'xxxxxxxx' "$r ... and none of it is printed"
	unlike "$out" 'workload-ran' "$r ... the workload did not start"
	printf '[Login quiet]\nExecStart=%s/login-echo --long 10\nStandardOutput=null\n' "$bin" > "$T/quiet.conf"
	out=$(run "$T/quiet.conf" 2>&1); rc=$?
	is "$rc" 0 "$r StandardOutput=null: exit 0"
	unlike "$out" 'usher: quiet:' "$r ... its stdout is discarded"
	like "$out" 'workload-ran' "$r ... and the workload ran"

	# --- config errors name file and line
	printf '[Login bad]\nExecStart=/bin/true\nTimeoutSecs=5\n' > "$T/bad.conf"
	out=$(run "$T/bad.conf" 2>&1); rc=$?
	is "$rc" 125 "$r unknown key: exit 125"
	like "$out" "$T/bad.conf:3: unknown key TimeoutSecs= in \[Login bad\]" "$r ... with file and line"
	printf '[Login bad]\nExecStart=/bin/true\nTimeoutSec=soon\n' > "$T/bad.conf"
	out=$(run "$T/bad.conf" 2>&1)
	like "$out" "$T/bad.conf:3: TimeoutSec=: 'soon' is not a duration" "$r bad value: file, line and why"
	printf '[Login bad]\nStandardInputText=${password}\n' > "$T/bad.conf"
	out=$(run "$T/bad.conf" 2>&1); rc=$?
	is "$rc" 125 "$r no ExecStart=: exit 125"
	like "$out" "$T/bad.conf:2: \[Login bad\] has no ExecStart=" "$r ... names the section"
	printf '[Login bad]\nExecStart=%s/login-echo ${NOT_SET_ANYWHERE}\n' "$bin" > "$T/bad.conf"
	out=$(run "$T/bad.conf" 2>&1); rc=$?
	is "$rc" 125 "$r unset variable in ExecStart=: exit 125"
	like "$out" "$T/bad.conf:2: \[Login bad\] ExecStart=.*NOT_SET_ANYWHERE" "$r ... names file, line, helper and variable"
	printf '[Login bad]\nExecStart=/bin/true\nEnvironment=A=1\nEnvironment=B=${NOT_SET_ANYWHERE}\n' > "$T/bad.conf"
	out=$(run "$T/bad.conf" 2>&1); rc=$?
	is "$rc" 125 "$r unset variable in Environment=: exit 125"
	like "$out" "$T/bad.conf:4: \[Login bad\] Environment=.*NOT_SET_ANYWHERE" "$r ... names the line of that assignment"
done

# --- a helper's output reaches a slow reader of usher's stderr whole, before the next step
if command -v seq >/dev/null; then
	printf '[Login many]\nExecStart=%s 1 20000\n' "$(command -v seq)" > "$T/many.conf"
	"$USHER" --config "$T/many.conf" -- "$bin/login-echo" workload-ran 2>&1 | (sleep 1; cat) > "$T/many.out"
	is "$(grep -c '^usher: many: [0-9]*$' "$T/many.out")" 20000 "20000 lines of a helper reach a pipe read late: none dropped"
	unlike "$(cat "$T/many.out")" 'dropped' "... and nothing says so"
	is "$(grep -n 'workload-ran' "$T/many.out" | cut -d: -f1)" 20001 "... all of them before the workload's output"
else
	skip "no seq(1)"
fi

# --- the helpers run before the services: a service starts only once they all succeeded
cat > "$T/svc.conf" <<-EOF
	[Login first]
	ExecStart=$bin/login-hang --stdin-to $T/helper.done --release $T/secret
	[Service svc]
	ExecStart=/bin/sh -c 'if test -e $T/helper.done; then echo after; else echo before; fi > $T/svc.tmp; mv $T/svc.tmp $T/svc.saw; exec sleep 100'
	ReadyCheck=file:$T/svc.saw
EOF
rm -f "$T/helper.done" "$T/svc.saw"
out=$(timeout 60 "$USHER" --config "$T/svc.conf" -- /bin/cat "$T/svc.saw" 2>&1); rc=$?
is "$rc" 0 "helpers and a service: exit 0"
like "$out" '^after$' "the service started after the helper had run"
rm -f "$T/helper.done" "$T/svc.saw"
sed -i 's|^ExecStart=.*login-hang.*|ExecStart='"$bin"'/login-echo --exit 3|' "$T/svc.conf"
out=$(timeout 60 "$USHER" --config "$T/svc.conf" -- /bin/cat "$T/svc.saw" 2>&1); rc=$?
is "$rc" 125 "a failing helper: exit 125"
like "$out" 'login "first": exited with status 3' "... one line names it"
[ ! -e "$T/svc.saw" ]; ok $? "... and the service never started"

done_testing
