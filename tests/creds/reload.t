#!/usr/bin/env bash
# tests/creds/reload.t — rotation: the reload signal is forwarded by default; --on-reload restart
# and --restart-on-change re-read the files and restart the workload; a broken file keeps the old.
. "$SOURCE_ROOT/tests/lib/tap.sh"
tmp=$(mktemp -d); trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
umask 077

# The workload notes each start with the token it got, and each SIGHUP it receives.
cat > "$tmp/workload.sh" <<'X'
trap 'echo hup >> "$OUT"' HUP
trap 'exit 0' TERM
echo "start $TOKEN" >> "$OUT" # after the traps: the test signals it once this line is there
while :; do sleep 0.1; done
X
render() { printf 'TOKEN=%s\n' "$1" > "$tmp/app.env.tmp"; mv "$tmp/app.env.tmp" "$tmp/app.env"; }
start() { : > "$tmp/out"; "$USHER" --env OUT="$tmp/out" --env-file "$tmp/app.env" "$@" -- /bin/sh "$tmp/workload.sh" 2>"$tmp/err" & pid=$!; wait_for 60 grep -q "^start" "$tmp/out"; }
stop() { kill -TERM $pid; wait $pid; }

render one
start
kill -HUP $pid
wait_for 60 grep -qx hup "$tmp/out"; ok $? "default: SIGHUP is forwarded to the workload"
stop
is "$(grep -c '^start' "$tmp/out")" 1 "... and the workload was not restarted"

render one
start --on-reload restart
render two
kill -HUP $pid
wait_for 60 grep -qx "start two" "$tmp/out"; ok $? "--on-reload restart: SIGHUP re-reads the file and restarts with the new value"
grep -qx hup "$tmp/out"; ok $((!$?)) "... and SIGHUP is not forwarded"
kill -0 $pid; ok $? "... usher itself keeps running"
printf 'TOKEN="broken\n' > "$tmp/app.env"
kill -HUP $pid
wait_for 60 grep -q "reload failed" "$tmp/err"; ok $? "a broken file at reload: an error"
like "$(cat "$tmp/err")" "$tmp/app.env:1: unmatched" "... naming file and line"
kill -0 $pid; ok $? "... and the old workload keeps running"
is "$(grep -c '^start' "$tmp/out")" 2 "... not restarted"
stop

render one
start --restart-on-change
render three
wait_for 60 grep -qx "start three" "$tmp/out"; ok $? "--restart-on-change: a renamed-over file restarts with the new value"
stop

# A second change while the workload is still stopping from the first is not lost
# (Vault Agent renders one file after another): usher restarts once more when it can.
cat > "$tmp/slow.sh" <<'X'
echo "start $TOKEN" >> "$OUT"
trap 'echo stopping >> "$OUT"; sleep 1; exit 0' TERM
while :; do sleep 0.1; done
X
render one
: > "$tmp/out"
"$USHER" --env OUT="$tmp/out" --env-file "$tmp/app.env" --restart-on-change -- /bin/sh "$tmp/slow.sh" 2>"$tmp/err" &
pid=$!
wait_for 60 grep -qx "start one" "$tmp/out"
render four
wait_for 60 grep -qx stopping "$tmp/out"
render five
wait_for 60 grep -qx "start five" "$tmp/out"; ok $? "--restart-on-change: a change during the restart is applied after it"
stop

# A Kubernetes secret volume: the visible TOKEN symlink never changes, ..data is swapped.
mkdir -p "$tmp/vol/..v1" "$tmp/vol/..v2"
printf 'k8s-one\n' > "$tmp/vol/..v1/TOKEN"; printf 'k8s-two\n' > "$tmp/vol/..v2/TOKEN"
ln -s ..v1 "$tmp/vol/..data"; ln -s ..data/TOKEN "$tmp/vol/TOKEN"
: > "$tmp/out"
"$USHER" --env OUT="$tmp/out" --env-dir "$tmp/vol" --restart-on-change -- /bin/sh "$tmp/workload.sh" 2>"$tmp/err" &
pid=$!
wait_for 60 grep -qx "start k8s-one" "$tmp/out"; ok $? "--env-dir: a Kubernetes volume's value"
ln -s ..v2 "$tmp/vol/..data_tmp"; mv -T "$tmp/vol/..data_tmp" "$tmp/vol/..data"
wait_for 60 grep -qx "start k8s-two" "$tmp/out"; ok $? "--restart-on-change: the ..data swap restarts with the new value"
stop

"$USHER" --on-reload sometimes -- /bin/true 2>"$tmp/err"
is $? 125 "a bad --on-reload: exit 125"
"$USHER" --reload-signal TERM -- /bin/true 2>"$tmp/err"
is $? 125 "--reload-signal TERM is refused"
like "$(cat "$tmp/err")" '^usher: --reload-signal: not a reload signal' "... saying why"

done_testing
