#!/usr/bin/env bash
# tests/creds/login-rotation.t — login helpers at rotation, end to end: a secret file replaced
# consul-template style or by a Kubernetes ..data swap re-runs the helpers with the new value;
# a helper that fails at reload keeps the old workload running.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"

bin="$BUILD_ROOT/tests/creds"
T=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$T"' EXIT
umask 077

if [ ! -x "${USHER:-}" ]; then
	skip "usher is not built"
	done_testing
	exit
fi

# The workload notes each start with the token it got.
cat > "$T/workload.sh" <<'EOF'
trap 'exit 0' TERM
trap 'echo "usr1 $TOKEN" >> "$OUT"' USR1
echo $$ > "$OUT.pid"
echo "start $TOKEN" >> "$OUT" # after the traps: the test signals it once this line is there
while :; do sleep 0.1; done
EOF

# render DIR VALUE FAIL — the env file, written as consul-template does: temp file, rename.
render() {
	printf 'TOKEN=%s\nFAIL=%s\n' "$2" "$3" > "$1/.acr.env.tmp"
	mv "$1/.acr.env.tmp" "$1/acr.env"
}

cat > "$T/usher.conf" <<EOF
[Login count]
ExecStart=$bin/login-flaky $T/runs 0
[Login feed]
ExecStart=$bin/login-hang --stdin-to $T/fed --release $T/workload.sh
StandardInputText=\${TOKEN}
[Login check]
ExecStart=$bin/login-echo --exit \${FAIL}
EOF

# start ENVFILE — usher with the helpers above, restarting on change.
start() {
	: > "$T/out"
	rm -f "$T/runs" "$T/fed"
	"$USHER" --config "$T/usher.conf" --restart-on-change --env OUT="$T/out" --env-file "$1" \
		-- /bin/sh "$T/workload.sh" 2> "$T/err" &
	pid=$!
	wait_for 60 grep -q '^start' "$T/out"
}
stop() { kill -TERM "$pid"; wait "$pid"; pid=; }

# --- Nomad / consul-template: a file in the secrets dir, replaced by rename
mkdir "$T/secrets"
render "$T/secrets" one 0
start "$T/secrets/acr.env"
is "$(cat "$T/runs")" 1 "the helpers ran once before the workload"
is "$(cat "$T/fed")" "one" "... with the first value on stdin"
is "$(cat "$T/out")" "start one" "the workload started with it"
render "$T/secrets" two 0
wait_for 60 grep -qx 'start two' "$T/out"; ok $? "a renamed-in file restarts the workload with the new value"
is "$(cat "$T/runs")" 2 "... after running the helpers again"
is "$(cat "$T/fed")" "two" "... with the new value on stdin"

# A helper failing at reload: the error names it, the old workload keeps running.
render "$T/secrets" three 3
wait_for 60 grep -q 'login "check": exited with status 3' "$T/err"; ok $? "a required helper failing at reload is reported by name"
kill -0 "$pid"; ok $? "... usher keeps running"
is "$(grep -c '^start' "$T/out")" 2 "... and the old workload is not replaced"
render "$T/secrets" four 0
wait_for 60 grep -qx 'start four' "$T/out"; ok $? "the next good rotation restarts it"
stop
is "$(grep -c 'three' "$T/err")" 0 "no secret value in usher's messages"

# --- Kubernetes secret volume: acr.env -> ..data/acr.env, ..data -> ..TIMESTAMP
mkdir -p "$T/vol/..2026_11_26_10_00_00.1"
render "$T/vol/..2026_11_26_10_00_00.1" five 0
ln -s ..2026_11_26_10_00_00.1 "$T/vol/..data"
ln -s ..data/acr.env "$T/vol/acr.env"
start "$T/vol/acr.env"
is "$(cat "$T/out")" "start five" "Kubernetes volume: the workload started with the first value"
mkdir "$T/vol/..2026_11_26_10_05_00.2"
render "$T/vol/..2026_11_26_10_05_00.2" six 0
ln -s ..2026_11_26_10_05_00.2 "$T/vol/..data_tmp"
mv -T "$T/vol/..data_tmp" "$T/vol/..data"
wait_for 60 grep -qx 'start six' "$T/out"; ok $? "the ..data swap restarts the workload with the new value"
is "$(cat "$T/fed")" "six" "... the helpers got the new value"
stop

# --- the helpers of a reload run in usher's loop: the workload keeps running and getting its
# signals meanwhile; a SIGTERM then interrupts the helper and still stops the workload.
cat > "$T/slow.conf" <<EOF
[Login slow]
ExecStart=$bin/login-hang --pidfile $T/slow.pids --release $T/slow.go
TimeoutSec=2min
EOF
mkdir "$T/slow"
render "$T/slow" seven 0
touch "$T/slow.go"
: > "$T/out"
"$USHER" --config "$T/slow.conf" --restart-on-change --env OUT="$T/out" --env-file "$T/slow/acr.env" \
	-- /bin/sh "$T/workload.sh" 2> "$T/err" &
pid=$!
wait_for 60 grep -q '^start seven' "$T/out"
rm -f "$T/slow.go" "$T/slow.pids"
render "$T/slow" eight 0
wait_for 60 test -s "$T/slow.pids"; ok $? "a rotation starts the slow helper"
kill -USR1 "$pid"
wait_for 30 grep -qx 'usr1 seven' "$T/out"; ok $? "... while it runs, usher still forwards signals to the old workload"
is "$(grep -c '^start' "$T/out")" 1 "... which is not restarted before the helper is done"
touch "$T/slow.go"
wait_for 60 grep -qx 'start eight' "$T/out"; ok $? "once it succeeded, the workload restarts with the new value"
rm -f "$T/slow.go" "$T/slow.pids"
render "$T/slow" nine 0
wait_for 60 test -s "$T/slow.pids"
read -r slow_pid _ < "$T/slow.pids"
kill -TERM "$pid"
wait "$pid"; rc=$?
pid=
is "$rc" 0 "SIGTERM during a reload's helper: the workload is stopped as asked (its trap exits 0)"
like "$(cat "$T/err")" 'login "slow": interrupted by SIGTERM; not starting' "... the helper is interrupted, one line"
gone() { [ ! -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status"; }
wait_for 30 gone "$slow_pid"; ok $? "... and killed"
is "$(grep -c 'start nine' "$T/out")" 0 "... and the new environment is never used"

# The workload exits while a reload's helper runs: usher ends with its code, the helper killed.
: > "$T/out"
render "$T/slow" ten 0
touch "$T/slow.go"
"$USHER" --config "$T/slow.conf" --restart-on-change --env OUT="$T/out" --env-file "$T/slow/acr.env" \
	-- /bin/sh "$T/workload.sh" 2> "$T/err" &
pid=$!
wait_for 60 grep -q '^start ten' "$T/out"
rm -f "$T/slow.go" "$T/slow.pids"
render "$T/slow" eleven 0
wait_for 60 test -s "$T/slow.pids"
read -r slow_pid _ < "$T/slow.pids"
start=$(date +%s)
kill -KILL "$(cat "$T/out.pid")"
wait "$pid"; rc=$?
pid=
is "$rc" 137 "the workload killed during a reload's helper: usher exits 137"
ok $(( $(date +%s) - start < 30 ? 0 : 1 )) "... at once, not after the helper's 2 min timeout"
wait_for 30 gone "$slow_pid"; ok $? "... and the helper is gone"

done_testing
