#!/usr/bin/env bash
# tests/init/services-config.t — [Service NAME] sections as the real usher reads them: every key
# accepted, and every bad value, unknown name and cycle refused with "usher: FILE:LINE: ..." and
# exit 125 before anything runs (no login helper, no service, no command).
. "$SOURCE_ROOT/tests/lib/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
conf="$tmp/usher.conf"

# run_conf TEXT — usher with TEXT as its config; a [Login] helper and the command would each
# leave a mark if they ran. Prints "rc:stderr".
run_conf() {
	rm -f "$tmp/ran" "$tmp/login-ran"
	{ printf '[Login mark]\nExecStart=/usr/bin/touch %s\n' "$tmp/login-ran"; printf "$1"; } > "$conf"
	env -i PATH=/usr/bin:/bin "$USHER" --config "$conf" -- /usr/bin/touch "$tmp/ran" 2>"$tmp/err"
	echo "$?:$(cat "$tmp/err")"
}

good="[Service]
LogPrefix=no
SuccessExitStatus=3

[Service db]
ExecStart=/bin/sleep 1000
Type=simple
ReadyCheck=file:/
TimeoutStartSec=30s
Restart=always
RestartSec=250ms
RestartMaxDelaySec=1m
StartLimitBurst=10
StartLimitIntervalSec=1min
SuccessExitStatus=0 1 SIGTERM HUP
FailureAction=none
SuccessAction=exit
KillSignal=SIGINT
TimeoutStopSec=infinity
WorkingDirectory=/tmp
Environment=A=1 'B=two words' C=\"\\\\\$x\"
Environment=
Environment=D=4
EnvironmentFile=-docker:/run/app.env
EnvironmentFile=-/run/other.env
HealthIntervalSec=5s
HealthTimeoutSec=1s
HealthRetries=3
HealthStartPeriodSec=0
HealthAction=stop

[Service \"app.v2\"]
ExecStart=/bin/true \"daemon off;\"
Type=notify
After=db
Requires=db
Wants=db
BindsTo=db

[Service once]
Type=oneshot
ExecStart=/bin/true
Restart=no
TimeoutStartSec=0
Before-this-line-is-a-comment-not=
"
# (the last line above is a key: make sure it is refused, then drop it)
is "$(run_conf "$good")" "125:usher: $conf:47: service \"once\": unknown key Before-this-line-is-a-comment-not=" \
	"an unknown key in [Service NAME] names file, line and service"
good=${good%Before-this*}
is "$(run_conf "$good")" "0:" "every [Service NAME] key is accepted (but HealthCheck=), LogPrefix=no in [Service]"
[ -e "$tmp/ran" ]; ok $? "... and the command ran"
like "$("$USHER" --help)" "--log-prefix .*\[LogPrefix=\]" "--help lists --log-prefix [LogPrefix=]"
like "$("$USHER" --help)" "A \[Service NAME\] section is a service" "--help tells of [Service NAME] sections"

# bad LINES EXPECTED DESCRIPTION — LINES follow "[Service web]" on line 3 of the file
# (line 1-2: the [Login] mark); EXPECTED is the message after "usher: FILE:".
bad() {
	local got
	got=$(run_conf "[Service web]\nExecStart=/bin/true\n$1\n")
	is "$got" "125:usher: $conf:$2" "$3"
	[ ! -e "$tmp/ran" ] && [ ! -e "$tmp/login-ran" ]; ok $? "... nothing ran ($3)"
}
w='service "web"'
bad 'Type=forking' "5: $w: Type=: \"forking\" is not one of simple, oneshot, notify" "Type= forking"
bad 'Restart=on-abort' "5: $w: Restart=: \"on-abort\" is not one of no, on-failure, always" "Restart= on-abort"
bad 'FailureAction=reboot' "5: $w: FailureAction=: \"reboot\" is not one of none, exit" "FailureAction= reboot"
bad 'SuccessAction=poweroff' "5: $w: SuccessAction=: \"poweroff\" is not one of none, exit" "SuccessAction= poweroff"
bad 'HealthAction=kill' "5: $w: HealthAction=: \"kill\" is not one of restart, stop, none" "HealthAction= kill"
for key in RestartSec RestartMaxDelaySec StartLimitIntervalSec HealthStartPeriodSec TimeoutStartSec TimeoutStopSec; do
	bad "$key=soon" "5: $w: $key=: 'soon' is not a duration (e.g. 10s, 500ms, 2m; at most 576h)" "$key= not a duration"
done
bad 'RestartSec=-1s' "5: $w: RestartSec=: '-1s' is not a duration (e.g. 10s, 500ms, 2m; at most 576h)" "RestartSec= negative"
bad 'TimeoutStartSec=577h' "5: $w: TimeoutStartSec=: '577h' is not a duration (e.g. 10s, 500ms, 2m; at most 576h)" "TimeoutStartSec= over 576h"
for key in HealthIntervalSec HealthTimeoutSec; do
	bad "$key=0" "5: $w: $key=: must be more than 0" "$key= zero"
done
for key in StartLimitBurst HealthRetries; do
	bad "$key=0" "5: $w: $key=: \"0\" is not a number from 1 to 1000000" "$key= zero"
	bad "$key=many" "5: $w: $key=: \"many\" is not a number from 1 to 1000000" "$key= not a number"
done
bad 'KillSignal=SIGFOO' "5: $w: KillSignal=: unknown signal \"SIGFOO\"" "KillSignal= unknown"
bad 'KillSignal=0' "5: $w: KillSignal=: unknown signal \"0\"" "KillSignal= 0"
bad 'SuccessExitStatus=0 256' "5: $w: SuccessExitStatus=: \"256\" is not an exit code (0-255) or a signal name" "SuccessExitStatus= 256"
bad 'SuccessExitStatus=SIGNOPE' "5: $w: SuccessExitStatus=: \"SIGNOPE\" is not an exit code (0-255) or a signal name" "SuccessExitStatus= bad signal"
bad 'WorkingDirectory=srv' "5: $w: WorkingDirectory=: \"srv\" is not an absolute path" "WorkingDirectory= relative"
bad 'Environment=A=1 2B=x' "5: $w: Environment=: word 2 is not KEY=VALUE" "Environment= bad name"
bad 'Environment=A=s3cr3t B' "5: $w: Environment=: word 2 is not KEY=VALUE" "Environment= word without ="
bad "Environment='A=open" "5: $w: Environment=: unterminated ' quote" "Environment= open quote"
bad 'EnvironmentFile=dotenv:/x' "5: $w: EnvironmentFile=: unknown format \"dotenv\" (nomad or docker)" "EnvironmentFile= unknown format"
bad 'EnvironmentFile=-' "5: $w: EnvironmentFile=: missing path" "EnvironmentFile= no path"
bad 'ExecStart=/bin/echo "open' "5: $w: ExecStart=: unterminated \" quote" "ExecStart= open quote"
bad 'ExecStart=/bin/echo \\q' "5: $w: ExecStart=: bad escape in word 2 (use \\\\ for a backslash)" "ExecStart= bad escape"
bad 'ExecStart=-/bin/false' "5: $w: ExecStart=: systemd's prefixes (- @ : + !) are not supported" "ExecStart= systemd prefix"
bad 'ExecStart=' "3: $w: no ExecStart=" "ExecStart= emptied: no command"
bad 'After=db' "5: $w: After=: no [Service db] in the configuration" "After= unknown name"
bad 'Requires=web' "5: $w: Requires=: a service cannot depend on itself" "Requires= itself"
bad 'Wants=a b' "5: $w: Wants=: no [Service a] in the configuration" "Wants= unknown name"
bad 'BindsTo=nope' "5: $w: BindsTo=: no [Service nope] in the configuration" "BindsTo= unknown name"
bad 'Type=oneshot\nRestart=always' "3: $w: Restart=always does not go with Type=oneshot" "oneshot with Restart=always"
bad 'Type=oneshot\nReadyCheck=tcp:127.0.0.1:1' "6: $w: ReadyCheck=: only for Type=simple (a oneshot is ready when it exits 0, a notify service when it says READY=1)" "ReadyCheck= on a oneshot"
bad 'RestartSec=1m\nRestartMaxDelaySec=10s' "3: $w: RestartMaxDelaySec= is shorter than RestartSec=" "RestartMaxDelaySec= below RestartSec="
bad 'WaitFor=/x' "5: $w: unknown key WaitFor=" "a [Service]-only key in [Service NAME]"
# Sandbox keys go to the service's own plan, checked by their setters and prepared (user lookup,
# capabilities, the seccomp filter) before anything runs; a bad one names its file and line.
bad 'User=nosuchuser9' "5: no user 'nosuchuser9' in /etc/passwd" "User= unknown user"
bad 'Group=nosuchgroup9' "5: no group 'nosuchgroup9' in /etc/group" "Group= unknown group"
bad 'SupplementaryGroups=nosuchgroup9' "5: no group 'nosuchgroup9' in /etc/group" "SupplementaryGroups= unknown group"
bad 'DropCapabilities=NOPE' "5: unknown capability 'NOPE'" "DropCapabilities= unknown capability"
bad 'NoNewPrivileges=maybe' "5: expected yes or no, got 'maybe'" "NoNewPrivileges= not a boolean"
bad 'KeepCapabilities=CAP_NOPE' "5: unknown capability 'CAP_NOPE'" "KeepCapabilities= unknown capability"
bad 'DropCapabilities=' "5: empty value: name the capabilities to drop, or ALL" "DropCapabilities= empty"
bad 'LimitNOFILE=lots' "5: expected VALUE or SOFT:HARD (a number, or infinity), got 'lots'" "LimitNOFILE= not a number"
bad 'UMask=999' "5: expected an octal mode such as 0027, got '999'" "UMask= not octal"
bad 'User=a b' "5: 'a b' is not a user name or number" "User= not a name"
bad 'InitGroups=x' "5: expected yes or no, got 'x'" "InitGroups= not a boolean"
bad 'SeccompArchitectures=vax' "5: unknown architecture \"vax\" (libseccomp names: x86, x32, x86_64, arm...)" "SeccompArchitectures= unknown"
is "$(run_conf '[Service web]\nExecStart=/bin/true\nSeccomp=/nonexistent.json\n')" "125:usher: /nonexistent.json: No such file or directory" \
	"Seccomp= a missing profile"
[ ! -e "$tmp/ran" ] && [ ! -e "$tmp/login-ran" ]; ok $? "... nothing ran (Seccomp= a missing profile)"
sandboxed='[Service web]\nExecStart=/bin/true\nUser=65534\nGroup=65534\nSupplementaryGroups=65534\nInitGroups=no\nKeepCapabilities=NET_BIND_SERVICE\nDropCapabilities=ALL\nNoNewPrivileges=yes\nSeccomp=default\nSeccompArchitectures=native\nLimitNOFILE=1024\nLimitCORE=0\nUMask=0027\n'
is "$(run_conf "$sandboxed")" "0:" "every sandbox key is accepted in [Service NAME]"
if [ "$(id -u)" = 0 ]; then
	printf "$sandboxed" > "$conf"
	out=$(env -i "$USHER" --config "$conf" -- /bin/sh -c 'id -u; umask; grep -E "^(NoNewPrivs|CapEff)" /proc/self/status' 2>&1)
	is "$out" "$(printf '0\n0022\n'; grep -E '^(NoNewPrivs|CapEff)' /proc/self/status)" \
		"a service's sandbox keys do not touch the main command (uid, umask, caps, no_new_privs)"
else
	skip "needs root: the main command runs as root while a service has User=65534"
fi

# Names, repeats, limits: at the section header's line.
is "$(run_conf '[Service a b]\n')" "125:usher: $conf:3: unknown section [Service a b] (expected [Service], [Service NAME] or [Login NAME])" "a name with a space"
is "$(run_conf '[Service a/b]\n')" "125:usher: $conf:3: [Service a/b]: a name is 1 to 64 of A-Z a-z 0-9 . _ -" "a name with a slash"
long=$(printf 'n%.0s' $(seq 65))
is "$(run_conf "[Service $long]\n")" "125:usher: $conf:3: [Service $long]: a name is 1 to 64 of A-Z a-z 0-9 . _ -" "a name of 65 bytes"
is "$(run_conf '[Service a]\nExecStart=/bin/true\n[Service a]\n')" "125:usher: $conf:5: [Service a] again (first at $conf:3)" "a name given twice"
many=""; for i in $(seq 33); do many="$many[Service s$i]\nExecStart=/bin/true\n"; done
is "$(run_conf "$many")" "125:usher: $conf:67: [Service s33]: too many services (at most 32)" "33 services: the limit is named"
many=${many%\[Service s33\]*}
is "$(run_conf "$many")" "0:" "32 services are accepted"

# Cycles: After= is the ordering; the message shows the cycle, at the line that starts it.
cycle='[Service a]\nExecStart=/bin/true\nAfter=b\n[Service b]\nExecStart=/bin/true\nAfter=c\n[Service c]\nExecStart=/bin/true\nAfter=a\n'
is "$(run_conf "$cycle")" "125:usher: $conf:5: service \"a\": dependency cycle a -> b -> c -> a" "a three-service cycle, printed"
is "$(run_conf '[Service x]\nExecStart=/bin/true\n[Service a]\nExecStart=/bin/true\nAfter=x b\n[Service b]\nExecStart=/bin/true\nAfter=a\n')" \
	"125:usher: $conf:7: service \"a\": dependency cycle a -> b -> a" "a two-service cycle behind another dependency"
is "$(run_conf '[Service a]\nExecStart=/bin/true\nRequires=b\n[Service b]\nExecStart=/bin/true\nRequires=a\nAfter=a\n')" "0:" \
	"Requires= both ways with one After= is no cycle (systemd: Requires= does not order)"
is "$(run_conf '[Service a]\nExecStart=/bin/true\nAfter=b\nAfter=\n[Service b]\nExecStart=/bin/true\nAfter=a\n')" "0:" \
	"an empty After= resets the list"
# A later service named before its section is fine; a second config file adds services.
printf '[Service late]\nExecStart=/bin/true\n' > "$tmp/second.conf"
printf '[Service early]\nExecStart=/bin/true\nAfter=late\n' > "$tmp/first.conf"
is "$(env -i "$USHER" --config "$tmp/first.conf" --config "$tmp/second.conf" -- /bin/true 2>&1; echo $?)" "0" \
	"a dependency may be defined in a later --config file"
# docs/services.md shows the example files the services tests run, whole and as they are.
for example in "$SOURCE_ROOT"/docs/examples/*; do
	python3 -c 'import sys; sys.exit(open(sys.argv[2]).read() not in open(sys.argv[1]).read())' \
		"$SOURCE_ROOT/docs/services.md" "$example"
	ok $? "docs/services.md shows docs/examples/${example##*/} as it is"
done
# Not wired yet, so refused rather than silently ignored (docs/health.md).
bad 'HealthCheck=tcp:127.0.0.1:1' "5: $w: HealthCheck=: not supported by this usher yet (services' health checks are not wired; see docs/health.md)" "HealthCheck= refused until it runs"
# LogPrefix=yes is wired (docs/logs.md; tests/services/services-logs.t has the rest).
is "$(run_conf '[Service]\nLogPrefix=yes\n[Service web]\nType=oneshot\nExecStart=/bin/true\n')" "0:" "LogPrefix=yes in [Service] is accepted"
is "$("$USHER" --log-prefix -- /bin/echo hi 2>&1; echo $?)" "echo | hi
0" "--log-prefix: the command's lines start with its name"
done_testing
