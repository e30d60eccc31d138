#!/usr/bin/env bash
# tests/services/services-start.t — [Service NAME] starting: After= order proven by the
# services' own timestamps, oneshot/notify/ReadyCheck= readiness, start timeouts, the main
# command after every service, Environment=/EnvironmentFile=/${VAR}, and an idle loop.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"
bin="$BUILD_ROOT/tests/services"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
# stamp NAME — the line "NAME <ns>" appended to $T/log (inside a service: $$(date) in the file)
ts() { local t; t=$(sed -n "s/^$1 //p" "$T/log" 2>/dev/null | head -1); echo "${t:-0}"; }

# --- After= waits for a ReadyCheck=file: that only comes 0.5 s after the start.
cat > "$T/order.conf" <<EOF2
[Service db]
ExecStart=sh -c 'echo db-start \$\$(date +%s%N) >> $T/log; sleep 0.5; echo db-ready \$\$(date +%s%N) >> $T/log; touch $T/db.ready; exec sleep 100'
ReadyCheck=file:$T/db.ready

[Service web]
ExecStart=sh -c 'echo web-start \$\$(date +%s%N) >> $T/log; touch $T/web.ready; exec sleep 100'
After=db
ReadyCheck=file:$T/web.ready

[Service side]
ExecStart=sh -c 'echo side-start \$\$(date +%s%N) >> $T/log; exec sleep 100'
EOF2
in_pidns "$USHER" --config "$T/order.conf" -- sh -c "echo main-start \$(date +%s%N) >> $T/log; sleep 0.3; exit 3" 2>"$T/err"; rc=$?
is "$rc" 3 "the main command's exit code ends everything"
ok $(( $(ts web-start) > $(ts db-ready) ? 0 : 1 )) "After=: web started after db was ready (file check)"
ok $(( $(ts main-start) > $(ts web-start) && $(ts main-start) > $(ts db-ready) ? 0 : 1 )) "the main command starts after every service is ready"
ok $(( $(ts side-start) < $(ts db-ready) ? 0 : 1 )) "an independent service starts in parallel, not after db"
wait_ms=$(( ($(ts web-start) - $(ts db-ready)) / 1000000 ))
ok $(( wait_ms < 2000 ? 0 : 1 )) "web started soon after db's readiness (${wait_ms} ms; the check backs off to 250 ms)"

# --- Type=oneshot: the next one starts when it has exited 0; a failing one with Restart=no ends usher.
rm -f "$T/log"
cat > "$T/oneshot.conf" <<EOF2
[Service migrate]
Type=oneshot
ExecStart=sh -c 'sleep 0.4; echo migrate-done \$\$(date +%s%N) >> $T/log'

[Service app]
ExecStart=sh -c 'echo app-start \$\$(date +%s%N) >> $T/log; exec sleep 100'
After=migrate
EOF2
in_pidns "$USHER" --config "$T/oneshot.conf" -- sleep 0.5 2>"$T/err"; rc=$?
is "$rc" 0 "oneshot: exit 0"
ok $(( $(ts app-start) > $(ts migrate-done) ? 0 : 1 )) "oneshot: its dependent started after it exited"
printf '[Service migrate]\nType=oneshot\nExecStart=sh -c "exit 4"\nRestart=no\n' > "$T/oneshot-fail.conf"
out=$(in_pidns "$USHER" --config "$T/oneshot-fail.conf" -- sh -c "echo main-ran" 2>&1); rc=$?
is "$rc" 4 "a failed oneshot with FailureAction=exit (default): usher exits with its code"
unlike "$out" "main-ran" "... and the main command never ran"
like "$out" 'service "migrate": exited with status 4' "... one line names the service"

# --- Type=notify: READY=1 on NOTIFY_SOCKET; without it, TimeoutStartSec=.
rm -f "$T/log" "$T/notify"
cat > "$T/notify.conf" <<EOF2
[Service daemon]
Type=notify
ExecStart=$bin/notify-ready 500 $T/notify

[Service after]
ExecStart=sh -c 'echo after-start \$\$(date +%s%N) >> $T/log; exec sleep 100'
After=daemon
EOF2
in_pidns "$USHER" --config "$T/notify.conf" -- sh -c 'sleep 0.5; echo "main sees NOTIFY_SOCKET=${NOTIFY_SOCKET:-unset}"' >"$T/out" 2>"$T/err"; rc=$?
is "$rc" 0 "notify: exit 0"
ready=$(sed -n 's/^ready //p' "$T/notify")
ok $(( ${ready:-9} < $(ts after-start || echo 0) ? 0 : 1 )) "notify: the dependent started after READY=1"
like "$(cat "$T/out")" "NOTIFY_SOCKET=unset" "notify: only the notify service gets NOTIFY_SOCKET"
printf '[Service daemon]\nType=notify\nExecStart=%s 100 %s no\nTimeoutStartSec=1s\n' "$bin/notify-ready" "$T/n2" > "$T/silent.conf"
start=$(date +%s%N)
out=$(in_pidns "$USHER" --config "$T/silent.conf" -- sh -c "echo main-ran" 2>&1); rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
is "$rc" 125 "notify without READY=1: 125 at TimeoutStartSec="
like "$out" '^usher: service "daemon": not ready after 1s$' "... one line naming the service"
unlike "$out" "main-ran" "... the main command never ran"
ok $(( took >= 900 && took < 8000 ? 0 : 1 )) "... after about 1 s (${took} ms)"

# --- ReadyCheck=tcp: refused until a listener comes; a port that never opens times out.
port=$(( 20000 + RANDOM % 20000 ))
cat > "$T/tcp.conf" <<EOF2
[Service listener]
ExecStart=python3 -c 'import socket,time; time.sleep(0.6); s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", $port)); s.listen(); open("$T/listening","w").write(str(time.time_ns())); time.sleep(100)'
ReadyCheck=tcp:127.0.0.1:$port
EOF2
if command -v python3 >/dev/null; then
	in_pidns "$USHER" --config "$T/tcp.conf" -- sh -c "date +%s%N > $T/main-tcp" 2>"$T/err"; rc=$?
	is "$rc" 0 "tcp check: exit 0"
	ok $(( $(cat "$T/main-tcp") > $(cat "$T/listening") ? 0 : 1 )) "tcp check: the main command started after the port listened"
else
	skip "python3 not installed"; skip "python3 not installed"
fi
printf '[Service nothing]\nExecStart=sleep 100\nReadyCheck=tcp:127.0.0.1:%s\nTimeoutStartSec=1s\n' "$((port + 1))" > "$T/never.conf"
out=$(in_pidns "$USHER" --config "$T/never.conf" -- sh -c "echo main-ran" 2>&1); rc=$?
is "$rc" 125 "a port that never opens: 125"
like "$out" "^usher: service \"nothing\": not ready after 1s \(.*refused.*\)$" "... the line says what the check saw"
unlike "$out" "main-ran" "... the main command never ran"

# --- Environment=, EnvironmentFile=, ${VAR} in ExecStart=, WorkingDirectory=.
printf 'FROM_FILE=file-value\nSHARED=from-file\n' > "$T/svc.env"; chmod 600 "$T/svc.env"
mkdir -p "$T/work"
cat > "$T/env.conf" <<EOF2
[Service envy]
Type=oneshot
ExecStart=sh -c 'echo "arg=\$\$1 file=\$\$FROM_FILE shared=\$\$SHARED own=\$\$OWN pwd=\$\$(pwd)" > $T/env.out' sh \${OWN}
Environment=OWN=own-value SHARED=from-assignment
EnvironmentFile=$T/svc.env
WorkingDirectory=$T/work
EOF2
in_pidns "$USHER" --config "$T/env.conf" -- true 2>"$T/err"; rc=$?
is "$rc" 0 "environment: exit 0"
is "$(cat "$T/env.out" 2>/dev/null)" "arg=own-value file=file-value shared=from-file own=own-value pwd=$T/work" "Environment=, EnvironmentFile= (wins), \${VAR} in ExecStart=, WorkingDirectory="
printf '[Service x]\nExecStart=sh -c true\nEnvironmentFile=%s/missing.env\n' "$T" > "$T/badenv.conf"
out=$(in_pidns "$USHER" --config "$T/badenv.conf" -- true 2>&1); rc=$?
is "$rc" 125 "a missing EnvironmentFile=: 125 before anything runs"
like "$out" "missing.env" "... naming the file"
printf '[Service x]\nExecStart=no-such-program-here\n' > "$T/missing.conf"
out=$(in_pidns "$USHER" --config "$T/missing.conf" -- sh -c "echo main-ran" 2>&1); rc=$?
is "$rc" 125 "a service whose program is missing: 125"
like "$out" 'no-such-program-here: command not found' "... naming the program"
like "$out" 'service "x"' "... and the service"

# --- No main command: the services run until SIGTERM; idle, usher does not wake up.
printf '[Service a]\nExecStart=sleep 1000\n[Service b]\nExecStart=sleep 1000\nAfter=a\n' > "$T/idle.conf"
unshare --pid --fork --mount-proc "$USHER" --config "$T/idle.conf" 2>"$T/err" & job=$!
wait_for 10 pgrep -P "$job" >/dev/null; pid=$(pgrep -P "$job")
wait_for 10 sh -c "[ \$(pgrep -c -P $pid) -ge 2 ]"
sleep 1.5 # past the trim after a quiet second
before=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/$pid/status)
sleep 2
after=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/$pid/status)
is "$after" "$before" "idle with every service ready: usher did not wake up in 2 s"
kill -TERM "$pid"; wait "$job"; rc=$?
is "$rc" 0 "no main command: SIGTERM stops the services, exit 0"
out=$("$USHER" 2>&1); rc=$?
is "$rc" 125 "neither services nor a command: still an error"
done_testing
