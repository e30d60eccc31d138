#!/usr/bin/env bash
# tests/health/probe.t — `usher probe` for every SPEC kind against tests/health/test-server in
# each mode (up, down, slow, 500, garbage, closing early), exit codes 0/1/2, the one line.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"

SERVER="$BUILD_ROOT/tests/health/test-server"
tmp=$(mktemp -d /tmp/usher-probe.XXXXXX) || exit 1
servers=()
cleanup() {
	local pid
	for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# serve NAME MODE ADDRESS — starts test-server; PORT is its port (tcp).
serve() {
	rm -f "$tmp/$1.ready"
	"$SERVER" "$2" "$3" "$tmp/$1.ready" "$tmp/$1.log" 2>"$tmp/$1.err" &
	servers+=($!)
	wait_for 10 test -s "$tmp/$1.ready" || diag "test-server $1 did not start: $(cat "$tmp/$1.err")"
	PORT=$(cat "$tmp/$1.ready")
}

# probe ARGS... — runs usher probe; OUT (stdout), ERR (stderr), RC, MS (wall time).
probe() {
	local start=$(date +%s%N)
	"$USHER" probe "$@" >"$tmp/out" 2>"$tmp/err"
	RC=$?
	MS=$(( ($(date +%s%N) - start) / 1000000 ))
	OUT=$(cat "$tmp/out")
	ERR=$(cat "$tmp/err")
}

# expect WANT_RC PATTERN WHAT ARGS... — one probe: its exit status, and its one line.
expect() {
	local want=$1 pattern=$2 what=$3
	shift 3
	probe "$@"
	is "$RC" "$want" "$what: exit $want"
	like "$OUT" "$pattern" "$what: says '$pattern'"
	is "$(wc -l <"$tmp/out")" 1 "$what: one line on stdout"
}

# A port with nobody listening: bound, then closed.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
down=$(free_port)

serve up up tcp:127.0.0.1:0; up=$PORT
serve e500 500 tcp:127.0.0.1:0; e500=$PORT
serve garbage garbage tcp:127.0.0.1:0; garbage=$PORT
serve close close tcp:127.0.0.1:0; close=$PORT
serve slow slow tcp:127.0.0.1:0; slow=$PORT
serve full full tcp:127.0.0.1:0; full=$PORT
serve uup up "unix:$tmp/up.sock"
serve u500 500 "unix:$tmp/500.sock"
serve uslow slow "unix:$tmp/slow.sock"

# --- tcp: ----------------------------------------------------------------------------------
expect 0 "^ok: tcp:127.0.0.1:$up: connected$" "tcp up" "tcp:127.0.0.1:$up"
expect 1 "^failed: tcp:127.0.0.1:$down: connect: Connection refused$" "tcp down" "tcp:127.0.0.1:$down"
expect 1 "timed out after 300ms connecting" "tcp connect that hangs (full backlog)" --timeout 300ms "tcp:127.0.0.1:$full"
ok "$([ "$MS" -lt 5000 ]; echo $?)" "tcp connect that hangs: ended within 5 s (took ${MS} ms)"
expect 1 "^failed: tcp:\[::1\]:$up: connect: " "tcp [::1]: parsed, refused (the server is on 127.0.0.1 only)" "tcp:[::1]:$up"
expect 0 "connected" "tcp localhost" "tcp:localhost:$up"

# --- unix: a connect must succeed, the file existing is not enough --------------------------
expect 0 "^ok: unix:$tmp/up.sock: connected$" "unix up" "unix:$tmp/up.sock"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$tmp/stale.sock"
ok "$([ -S "$tmp/stale.sock" ]; echo $?)" "a stale socket file exists (nobody listens)"
expect 1 "connect: Connection refused" "unix stale socket file" "unix:$tmp/stale.sock"
touch "$tmp/plain"
expect 1 "^failed: unix:$tmp/plain: connect" "unix: a regular file" "unix:$tmp/plain"
expect 1 "No such file" "unix missing" "unix:$tmp/none.sock"

# --- http:// ------------------------------------------------------------------------------
: >"$tmp/up.log"
expect 0 "^ok: http://127.0.0.1:$up/health: HTTP 200$" "http up" "http://127.0.0.1:$up/health"
is "$(head -n 2 "$tmp/up.log" | tr '\n' '|')" "GET /health HTTP/1.1|Host: 127.0.0.1:$up|" "http up: the server saw GET /health with its Host"
expect 1 "HTTP 500, expected 2xx or 3xx" "http 500" "http://127.0.0.1:$e500/"
expect 0 "HTTP 500" "http 500 with --expect 500" --expect 500 "http://127.0.0.1:$e500/"
expect 1 "HTTP 200, expected 404" "http 200 with --expect 404" --expect=404 "http://127.0.0.1:$up/"
expect 1 'not an HTTP response: "\?\?hello there' "http garbage" "http://127.0.0.1:$garbage/"
expect 1 "closed without a response" "http closing early" "http://127.0.0.1:$close/"
expect 1 "connect: Connection refused" "http down" "http://127.0.0.1:$down/"
expect 1 "timed out after 300ms waiting for the status line" "http slow (past --timeout)" --timeout 300ms "http://127.0.0.1:$slow/"
ok "$([ "$MS" -lt 4000 ]; echo $?)" "http slow: ended within 4 s, before the server's 5 s answer (took ${MS} ms)"
expect 1 "timed out after 1s" "http slow, default --timeout 1s" "http://127.0.0.1:$slow/"
ok "$([ "$MS" -ge 900 ] && [ "$MS" -lt 4500 ]; echo $?)" "default timeout is about 1 s (took ${MS} ms)"
expect 0 "HTTP 200" "http without a path or port is GET / on 80 (here: with a port)" "http://127.0.0.1:$up"

# --- http+unix: a daemon's API socket ----------------------------------------------------
: >"$tmp/uup.log"
expect 0 "^ok: http\+unix:$tmp/up.sock:/_ping: HTTP 200$" "http+unix up" "http+unix:$tmp/up.sock:/_ping"
is "$(head -n 2 "$tmp/uup.log" | tr '\n' '|')" "GET /_ping HTTP/1.1|Host: localhost|" "http+unix: the server saw GET /_ping"
expect 1 "HTTP 500" "http+unix 500" "http+unix:$tmp/500.sock:/_ping"
expect 1 "timed out after 300ms" "http+unix slow" --timeout 300ms "http+unix:$tmp/slow.sock"
expect 1 "connect: Connection refused" "http+unix stale socket" "http+unix:$tmp/stale.sock:/_ping"

# --- file: and exec: ------------------------------------------------------------------------
expect 0 "^ok: file:$tmp/plain: exists$" "file exists" "file:$tmp/plain"
expect 1 "No such file or directory" "file missing" "file:$tmp/nothing"
expect 0 "^ok: exec:true: exit 0$" "exec true" "exec:true"
expect 1 "^failed: exec:false: exit 1$" "exec false" "exec:false"
expect 0 "exit 0" "exec: quoting like ExecStart= (no shell)" "exec:test 'a b' = \"a b\""
expect 1 "exit 127" "exec: a command that is not there" "exec:/no/such/command"
like "$ERR" "/no/such/command" "exec: not there: usher names it on stderr"
expect 0 "^ok: exec:echo hello: exit 0$" "exec: the command's stdout" "exec:echo hello"
is "$ERR" "hello" "exec: the command's own output goes to stderr, stdout keeps the one line"
marker="31.$$"
expect 1 "timed out after 300ms" "exec past --timeout" --timeout 300ms "exec:sh -c 'sleep $marker & sleep $marker'"
ok "$([ "$MS" -lt 4000 ]; echo $?)" "exec past --timeout: ended within 4 s (took ${MS} ms)"
sleep 0.2
is "$(pgrep -fc "sleep $marker")" 0 "exec past --timeout: its whole process group was killed"

# --- several SPECs, unresolvable names, bad SPECs ------------------------------------------
expect 0 "^ok: tcp:127.0.0.1:$up: connected; file:$tmp/plain: exists$" "two SPECs pass" "tcp:127.0.0.1:$up" "file:$tmp/plain"
expect 1 "^failed: tcp:127.0.0.1:$up: connected; tcp:127.0.0.1:$down: connect" "one of two fails" "tcp:127.0.0.1:$up" "tcp:127.0.0.1:$down"
probe "http://no-such-host.invalid:80/"
is "$RC" 1 "an unresolvable name: exit 1 (unhealthy, not a bad SPEC)"
is "$OUT" "" "an unresolvable name: nothing on stdout"
like "$ERR" "^usher: probe: http://no-such-host.invalid:80/: unknown host 'no-such-host.invalid' \(not numeric, in /etc/hosts or localhost; usher has no DNS\)$" "an unresolvable name: one line on stderr saying why"
ok "$([ "$MS" -lt 3000 ]; echo $?)" "an unresolvable name: answered within 3 s (took ${MS} ms; no DNS)"
probe "tcp:127.0.0.1:$up" "tcp:nohost.invalid:1"
is "$RC:$OUT" "1:" "an unresolvable name after a good SPEC: exit 1 before anything is tried"
# The same spec as a service's ReadyCheck=: an error at start-up, naming file and line.
printf '[Service web]\nExecStart=/bin/true\nReadyCheck=tcp:nohost.invalid:80\n' >"$tmp/u.conf"
out=$("$USHER" --config "$tmp/u.conf" true 2>&1); rc=$?
is "$rc" 125 "ReadyCheck= with an unresolvable host: usher exits 125 before anything runs"
like "$out" "^usher: $tmp/u.conf:3: tcp:nohost.invalid:80: unknown host 'nohost.invalid'" "ReadyCheck= unresolvable: file:line and the host"
long=$(printf "file:$tmp/%0200d " $(seq 1 40))
probe $long
is "$RC" 1 "forty long SPECs: exit 1 (the first is missing)"
probe $(printf "file:$tmp/plain%.0s " $(seq 1 200))
ok "$([ "$(wc -c <"$tmp/out")" -lt 4096 ]; echo $?)" "200 SPECs: the line stays under 4 KiB ($(wc -c <"$tmp/out") bytes)"
is "$RC" 0 "200 SPECs: exit 0"
for bad in bogus "tcp:127.0.0.1" "tcp:127.0.0.1:99999" "http://h:80/a b" "https://x/" "unix:" "file:" "exec:" "exec:'open" "tcp:[::1"; do
	probe "$bad"
	is "$RC" 2 "bad SPEC '$bad': exit 2"
	is "$OUT" "" "bad SPEC '$bad': nothing on stdout"
	like "$ERR" "^usher: probe: " "bad SPEC '$bad': one error on stderr"
done
probe
is "$RC" 2 "no SPEC: exit 2"
probe --timeout nope "tcp:127.0.0.1:$up"
is "$RC" 2 "bad --timeout: exit 2"
probe --expect 99 "tcp:127.0.0.1:$up"
is "$RC" 2 "bad --expect: exit 2"
probe --help
is "$RC" 0 "--help: exit 0"
like "$OUT" "usage: usher probe" "--help: usage"

# --- subcommands only as the first argument -------------------------------------------------
mkdir -p "$tmp/bin" && printf '#!/bin/sh\necho "workload probe $*"\n' >"$tmp/bin/probe" && chmod +x "$tmp/bin/probe"
is "$(PATH="$tmp/bin:$PATH" "$USHER" -- probe tcp:x 2>&1)" "workload probe tcp:x" "usher -- probe runs a workload called probe"
is "$(PATH="$tmp/bin:$PATH" "$USHER" -v probe tcp:x 2>&1 | grep -v '^usher:')" "workload probe tcp:x" "usher -v probe: after an option, probe is the workload"

done_testing
