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
echo "start $TOKEN" >> "$OUT"
trap 'exit 0' TERM
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

done_testing
