#!/usr/bin/env bash
# tests/creds/wait-for.t — --wait-for holds the start until a late file (a Vault Agent sidecar's)
# exists; at --wait-timeout usher exits 125 naming the file that never came; SIGTERM ends the wait.
. "$SOURCE_ROOT/tests/lib/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
umask 077

# The file appears about 1 s after usher starts; a generous timeout for a busy machine.
( sleep 1; printf 'TOKEN=late\n' > "$tmp/app.env.tmp"; mv "$tmp/app.env.tmp" "$tmp/app.env" ) &
out=$(env -i "$USHER" --wait-for "$tmp/app.env" --wait-timeout 60s --env-file "$tmp/app.env" \
	-- /usr/bin/env 2>"$tmp/err")
rc=$?
wait
is "$rc" 0 "the workload starts once the file appears"
echo "$out" | grep -qx 'TOKEN=late'; ok $? "... and sees the variables from it"

"$USHER" --wait-for "$tmp/never.env" --wait-timeout 300ms -- /bin/true 2>"$tmp/err"
is $? 125 "timeout: exit 125"
is "$(cat "$tmp/err")" "usher: $tmp/never.env: still missing after 300ms (--wait-for, --wait-timeout)" \
	"... naming the file that never came"

"$USHER" --wait-for "$tmp/app.env" --wait-for "$tmp/second" --wait-timeout 0 -- /bin/true 2>"$tmp/err"
like "$(cat "$tmp/err")" "^usher: $tmp/second: still missing" "with several paths, the missing one is named"

"$USHER" --wait-timeout soon -- /bin/true 2>"$tmp/err"
is $? 125 "a bad --wait-timeout: exit 125"
like "$(cat "$tmp/err")" "^usher: --wait-timeout: '[^']*' is not a duration" "... naming the option"

# SIGTERM while waiting: usher stops at once with 128+15 instead of running the workload.
"$USHER" -v --wait-for "$tmp/never.env" --wait-timeout 600s -- /usr/bin/touch "$tmp/ran" 2>"$tmp/err" &
pid=$!
wait_for 60 grep -q "waiting for $tmp/never.env" "$tmp/err"
ok $? "usher -v says what it waits for"
kill -TERM $pid
wait $pid
is $? 143 "SIGTERM during the wait: exit 143"
[ ! -e "$tmp/ran" ]; ok $? "... and the workload never ran"

done_testing
