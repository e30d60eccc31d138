#!/usr/bin/env bash
# tests/services/services-restart.t — Restart= with RestartSec= doubling (spacing measured from
# the service's own timestamps), StartLimitBurst=, FailureAction=exit/none passing the exit code,
# SuccessAction=, Requires=/BindsTo= propagation.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
gone() { ! kill -0 "$1" 2>/dev/null; }

# --- Always failing: 4 starts (StartLimitBurst=4), 100/200/400 ms apart, then usher exits 3.
cat > "$T/flaky.conf" <<EOF2
[Service flaky]
ExecStart=sh -c 'date +%s%N >> $T/starts; exit 3'
RestartSec=100ms
StartLimitBurst=4
StartLimitIntervalSec=60s
EOF2
out=$(in_pidns "$USHER" --config "$T/flaky.conf" -- sleep 100 2>&1); rc=$?
is "$rc" 3 "gave up: usher exits with the service's code (FailureAction=exit)"
is "$(wc -l < "$T/starts")" 4 "StartLimitBurst=4: started exactly 4 times"
like "$out" 'service "flaky": started 4 times within 60s; giving up' "... and says so"
like "$out" 'restarting in 100ms' "first delay: RestartSec="
like "$out" 'restarting in 400ms' "... doubling"
mapfile -t at < "$T/starts"
gaps=""
okay=0
for i in 1 2 3; do
	gap=$(( (at[i] - at[i-1]) / 1000000 )); want=$(( 100 << (i - 1) ))
	gaps="$gaps $gap"
	[ "$gap" -ge $(( want * 9 / 10 )) ] && [ "$gap" -lt $(( want + 3000 )) ] || okay=1
done
ok $okay "restart spacing grows 100, 200, 400 ms (saw:$gaps ms)"

# --- RestartMaxDelaySec= caps the doubling.
cat > "$T/capped.conf" <<EOF2
[Service capped]
ExecStart=sh -c 'exit 1'
RestartSec=100ms
RestartMaxDelaySec=200ms
StartLimitBurst=5
EOF2
out=$(in_pidns "$USHER" --config "$T/capped.conf" -- sleep 100 2>&1)
is "$(printf '%s\n' "$out" | grep -c 'restarting in 200ms')" 4 "RestartMaxDelaySec=200ms: the delay stops growing (5 starts: 100 ms, then 200 ms 4 times)"

# --- Restart=no and a signal: 128+N; -e remaps it; FailureAction=none carries on.
printf '[Service crash]\nExecStart=sh -c "kill -KILL $$$$"\nRestart=no\n' > "$T/crash.conf"
in_pidns "$USHER" --config "$T/crash.conf" -- sleep 100 2>/dev/null; rc=$?
is "$rc" 137 "killed by SIGKILL, Restart=no: usher exits 137, the main command was stopped"
in_pidns "$USHER" -e 137 --config "$T/crash.conf" -- sleep 100 2>/dev/null; rc=$?
is "$rc" 0 "-e 137 remaps it"
printf '[Service crash]\nExecStart=sh -c "exit 9"\nRestart=no\nFailureAction=none\n' > "$T/none.conf"
out=$(in_pidns "$USHER" --config "$T/none.conf" -- sh -c 'sleep 0.5; exit 4' 2>&1); rc=$?
is "$rc" 4 "FailureAction=none: the main command runs on and its code is usher's"
like "$out" 'service "crash": exited with status 9' "... the failure is logged"

# --- Restart=on-failure: a clean exit is not restarted; Restart=always restarts it.
printf '[Service once]\nExecStart=sh -c "echo x >> %s/once"\n' "$T" > "$T/clean.conf"
in_pidns "$USHER" --config "$T/clean.conf" -- sleep 1 2>/dev/null; rc=$?
is "$rc" 0 "on-failure, exit 0: usher goes on"
is "$(wc -l < "$T/once")" 1 "... not restarted"
printf '[Service loop]\nExecStart=sh -c "echo x >> %s/always"\nRestart=always\nRestartSec=50ms\nStartLimitBurst=1000\n' "$T" > "$T/always.conf"
in_pidns "$USHER" --config "$T/always.conf" -- sleep 1.5 2>/dev/null
ok $(( $(wc -l < "$T/always") >= 3 ? 0 : 1 )) "Restart=always restarts after exit 0 ($(wc -l < "$T/always") runs in 1.5 s)"
printf '[Service good]\nExecStart=sh -c "exit 0"\nSuccessAction=exit\nRestart=no\n' > "$T/success.conf"
start=$(date +%s%N)
in_pidns "$USHER" --config "$T/success.conf" -- sleep 100 2>/dev/null; rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
is "$rc" 0 "SuccessAction=exit: usher exits 0"
ok $(( took < 8000 ? 0 : 1 )) "... at once, the main command stopped (${took} ms)"
printf '[Service ok]\nExecStart=sh -c "exit 42"\nSuccessExitStatus=42\nRestart=on-failure\n' > "$T/ses.conf"
in_pidns "$USHER" --config "$T/ses.conf" -- sh -c 'sleep 0.5; exit 5' 2>/dev/null; rc=$?
is "$rc" 5 "SuccessExitStatus=42: exit 42 is no failure (no restart, no FailureAction)"

# --- What a service left in its process group is killed when it is reaped (before a restart).
cat > "$T/leftover.conf" <<EOF2
[Service parent]
ExecStart=sh -c 'sleep 1000 & echo \$\$! >> $T/kids; sleep 0.3; exit 1'
RestartSec=100ms
StartLimitBurst=2
FailureAction=none
EOF2
out=$(in_pidns "$USHER" --config "$T/leftover.conf" -- sh -c "sleep 1.5; for p in \$(cat $T/kids); do kill -0 \$p 2>/dev/null && echo alive-\$p; done; echo checked" 2>/dev/null)
is "$(wc -l < "$T/kids")" 2 "leftovers: the service ran twice"
is "$out" "checked" "... and neither run's background child outlived it"

# --- Requires=: a dependent of a service that gave up is stopped.
cat > "$T/requires.conf" <<EOF2
[Service base]
ExecStart=sh -c 'sleep 0.5; exit 1'
Restart=no
FailureAction=none

[Service user]
ExecStart=sh -c 'echo \$\$\$\$ > $T/user.pid; trap "echo got-term >> $T/user.log; exit 0" TERM; while :; do sleep 0.1; done'
Requires=base
FailureAction=none
EOF2
out=$(in_pidns "$USHER" --config "$T/requires.conf" -- sh -c "sleep 2; cat $T/user.log; kill -0 \$(cat $T/user.pid) 2>/dev/null && echo user-alive" 2>&1); rc=$?
like "$out" 'got-term' "Requires=: the dependent got SIGTERM when base failed"
unlike "$out" 'user-alive' "... and is gone"
like "$out" 'service "user": stopped, as "base" failed' "... and usher says why"

# --- BindsTo=: stopped whenever it stops, started again when it is ready again.
cat > "$T/binds.conf" <<EOF2
[Service base]
ExecStart=sh -c 'n=\$\$(cat $T/base.n 2>/dev/null || echo 0); echo \$\$((n+1)) > $T/base.n; [ \$\$n -ge 1 ] && exec sleep 100; sleep 0.5; exit 1'
RestartSec=100ms

[Service bound]
ExecStart=sh -c 'echo start >> $T/bound.log; exec sleep 100'
After=base
BindsTo=base
EOF2
in_pidns "$USHER" --config "$T/binds.conf" -- sleep 2 2>/dev/null; rc=$?
is "$rc" 0 "BindsTo=: exit 0"
is "$(cat "$T/base.n")" 2 "... base ran twice"
is "$(grep -c start "$T/bound.log")" 2 "... bound was stopped with it and started again when it came back"
done_testing
