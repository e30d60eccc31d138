#!/usr/bin/env bash
# tests/health/control.t — init/control.c's server (in tests/health/control-test's poll loop)
# against `usher status`, `usher health` and hostile clients: silent ones, one sending 1 MB,
# another user's; the loop must still see signals at once.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"

DRIVER="$BUILD_ROOT/tests/health/control-test"
tmp=$(mktemp -d /tmp/usher-control.XXXXXX) || exit 1
chmod 755 "$tmp"
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir "$tmp/run" && chmod 755 "$tmp/run" # as /run: usher makes only the last directory
sock="$tmp/run/usher/control.sock"
# start_driver — control-test on $sock; DRIVER_PID.
start_driver() {
	rm -f "$tmp/ready"
	"$DRIVER" "$sock" "$tmp/ready" "$tmp/ticks" 2>>"$tmp/driver.err" &
	DRIVER_PID=$!
	pids+=($DRIVER_PID)
	wait_for 10 test -e "$tmp/ready" || diag "control-test did not start: $(cat "$tmp/driver.err")"
}
start_driver

is "$(stat -c %a "$tmp/run/usher")" 700 "the socket's directory is made with mode 0700"
is "$(stat -c %a "$sock")" 600 "the socket has mode 0600"

# --- usher status ---------------------------------------------------------------------------
out=$("$USHER" status --control-socket "$sock" 2>&1); rc=$?
is "$rc" 0 "usher status: exit 0"
is "$(printf '%s\n' "$out" | wc -l)" 5 "usher status: a header and four rows"
like "$(printf '%s\n' "$out" | sed -n 1p)" "^NAME +STATE +PID +RESTARTS +EXIT +HEALTH$" "usher status: the header"
like "$(printf '%s\n' "$out" | grep '^web ')" "^web +ready +42 +0 +-  ok 3s ago: http://127.0.0.1:8080/health: HTTP 200$" "usher status: web's row"
like "$(printf '%s\n' "$out" | grep '^db ')" "^db +starting +43 +2 +1  -$" "usher status: db's row (no health check)"
like "$(printf '%s\n' "$out" | grep '^worker ')" "^worker +ready +44 +1 +143  failed 3s ago: exec:check worker: exit 1$" "usher status: worker's row, a tab in the result made a space"
is "$(USHER_CONTROL_SOCKET="$sock" "$USHER" status 2>&1 | wc -l)" 5 "usher status: USHER_CONTROL_SOCKET names the socket"
out=$("$USHER" status --control-socket "$tmp/none.sock" 2>&1); rc=$?
is "$rc" 125 "usher status: no socket: exit 125"
like "$out" "^usher: control socket $tmp/none.sock: No such file" "usher status: no socket: one line naming it"
printf 'bogus\n' | python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"bogus\n"); print(s.recv(100).decode(), end="")' "$sock" >"$tmp/bogus"
like "$(cat "$tmp/bogus")" "^error	unknown request$" "an unknown request gets an error line"

# --- usher health ---------------------------------------------------------------------------
health() { OUT=$("$USHER" health --control-socket "$sock" "$@" 2>"$tmp/herr"); RC=$?; }
health
is "$RC" 1 "usher health (all): exit 1 (db starting, worker failing)"
like "$OUT" "^unhealthy: web ready: http.*; db starting; worker ready: exec:check worker: exit 1; migrate done$" "usher health (all): one line"
health web migrate
is "$RC" 0 "usher health web migrate: exit 0 (a oneshot done counts as healthy)"
health web
is "$RC" 0 "usher health web: exit 0"
is "$OUT" "ok: web ready: http://127.0.0.1:8080/health: HTTP 200" "usher health web: one line"
health web db
is "$RC" 1 "usher health web db: exit 1 (db is starting)"
health nope
is "$RC" 1 "usher health nope: exit 1"
like "$OUT" "nope: no such service" "usher health nope: says so"
health worker
is "$RC" 1 "usher health worker: exit 1 while its check fails"
kill -USR1 "$DRIVER_PID"
wait_for 5 sh -c "\"$USHER\" health --control-socket \"$sock\" worker >/dev/null"
health web worker
is "$RC" 0 "usher health web worker: exit 0 once worker's check passes"
OUT=$("$USHER" health --control-socket "$tmp/none.sock" 2>/dev/null); RC=$?
is "$RC" 1 "usher health: no socket: exit 1 (unhealthy, as Docker reads it)"

# --- hostile clients --------------------------------------------------------------------------
# Five silent clients (one more than the slots) and one that sends 1 MB, all at once; each
# reports how its connection ended and when.
cat >"$tmp/hostile.py" <<'EOF'
import socket, sys, time, threading
path, out = sys.argv[1], sys.argv[2]
results = []
def silent(i):
    s = socket.socket(socket.AF_UNIX); s.settimeout(20); s.connect(path); t = time.time()
    try:
        data = s.recv(100)
        results.append("silent%d closed after %.1fs got %d bytes" % (i, time.time() - t, len(data)))
    except Exception as e:
        results.append("silent%d %s" % (i, e))
def flood():
    s = socket.socket(socket.AF_UNIX); s.settimeout(20); s.connect(path); t = time.time()
    try:
        s.sendall(b"x" * (1 << 20)); results.append("flood sent all")
    except Exception as e:
        results.append("flood stopped after %.1fs: %s" % (time.time() - t, type(e).__name__))
threads = [threading.Thread(target=silent, args=(i,)) for i in range(5)] + [threading.Thread(target=flood)]
for t in threads: t.start()
open(out + ".started", "w").close()
for t in threads: t.join()
open(out, "w").write("\n".join(sorted(results)) + "\n")
EOF
rm -f "$tmp/ticks"
python3 "$tmp/hostile.py" "$sock" "$tmp/hostile" &
pids+=($!)
wait_for 10 test -e "$tmp/hostile.started"
sleep 0.2
start_ns=$(date +%s%N)
kill -USR2 "$DRIVER_PID"
wait_for 5 test -s "$tmp/ticks"
tick_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
ok "$([ -s "$tmp/ticks" ] && [ "$tick_ms" -lt 2000 ]; echo $?)" "with every slot held by silent clients and a 1 MB flood, a signal is seen within 2 s (${tick_ms} ms)"
start_ns=$(date +%s%N)
out=$("$USHER" status --control-socket "$sock" 2>&1); rc=$?
status_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
is "$rc" 0 "usher status during the attack: answered (after ${status_ms} ms)"
ok "$([ "$status_ms" -lt 5000 ]; echo $?)" "usher status during the attack: within 5 s (silent clients are dropped after 1 s)"
wait_for 30 test -s "$tmp/hostile"
is "$(grep -c 'closed after .* got 0 bytes' "$tmp/hostile")" 5 "the five silent clients were closed by the server, unanswered"
for l in $(grep -o 'closed after [0-9.]*' "$tmp/hostile" | awk '{print $3}'); do
	ok "$(awk -v t="$l" 'BEGIN { exit !(t < 10) }'; echo $?)" "a silent client was dropped after ${l}s (per-client deadline 1 s, slack for a busy machine)"
done
like "$(grep flood "$tmp/hostile")" "flood stopped" "the 1 MB client was cut off, not read to the end"
kill -0 "$DRIVER_PID" 2>/dev/null
ok $? "the server is still running"
is "$("$USHER" status --control-socket "$sock" 2>&1 | wc -l)" 5 "usher status after the attack: the table"

# --- another user: refused by SO_PEERCRED even when the socket's mode would let it in ----------
kill "$DRIVER_PID"
wait "$DRIVER_PID" 2>/dev/null
is "$?" 0 "SIGTERM: the server exits 0"
ok "$([ ! -e "$sock" ]; echo $?)" "SIGTERM: the socket is removed"
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	skip "another user's client: needs root and setpriv"
else
	: >"$tmp/driver.err"
	CONTROL_TEST_LOOSEN=1 start_driver
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$USHER" status --control-socket "$sock" 2>&1); rc=$?
	is "$rc" 125 "uid 65534 (socket opened to all by the test): usher status exit 125"
	like "$out" "closed without an answer|Connection reset|Broken pipe" "uid 65534: the server closed the connection unanswered"
	like "$(cat "$tmp/driver.err")" "refused a client of uid 65534" "uid 65534: the server says whom it refused"
	is "$("$USHER" status --control-socket "$sock" 2>&1 | wc -l)" 5 "root is still answered"
	kill -KILL "$DRIVER_PID"
	wait "$DRIVER_PID" 2>/dev/null
	ok "$([ -S "$sock" ]; echo $?)" "after SIGKILL the socket file is left behind"
	start_driver
	is "$("$USHER" status --control-socket "$sock" 2>&1 | wc -l)" 5 "a new server replaces the stale socket"
	"$DRIVER" "$sock" "$tmp/ready2" "$tmp/ticks2" 2>"$tmp/second.err"
	is "$?" 1 "a second server on a live socket gives up on it (control_init fails)"
	like "$(cat "$tmp/second.err")" "control socket $sock: another usher answers there; running without one" "... and says so"
	is "$("$USHER" status --control-socket "$sock" 2>&1 | wc -l)" 5 "... the first one still answers on it"
fi

done_testing
