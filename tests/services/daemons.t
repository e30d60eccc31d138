#!/usr/bin/env bash
# tests/services/daemons.t — real daemons under usher as PID 1 (issue 7): Debian's php-fpm and
# nginx as uid 1000 without capabilities under seccomp, then containerd before a main command.
. "$SOURCE_ROOT/tests/lib/tap.sh"

examples="$SOURCE_ROOT/docs/examples"
missing=""
for cmd in php-fpm8.2 nginx containerd ctr curl nsenter ip; do
	command -v "$cmd" >/dev/null 2>&1 || missing+=" $cmd"
done
if [ -n "$missing" ] || [ "$(id -u)" -ne 0 ]; then
	skip "needs root and${missing:- nothing else}${missing:+ (missing:$missing; build/setup.sh installs them)}"
	done_testing
	exit
fi

work=$(mktemp -d /tmp/usher-daemons.XXXXXX)
chmod 755 "$work"
pids_to_kill=()
cleanup() {
	local p
	for p in "${pids_to_kill[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

# usher_start CONFIG [-- MAIN...] — usher as PID 1 of new PID and network namespaces (loopback
# up), output in $work/out and $work/err. Sets upid: usher's pid as seen from here.
usher_start() {
	unshare --pid --kill-child --mount-proc --net sh -c 'ip link set lo up && exec "$@"' sh \
		"$USHER" --config "$@" >"$work/out" 2>"$work/err" &
	ns_pid=$!
	pids_to_kill+=("$ns_pid")
	wait_for 10 child_or_gone "$ns_pid"
	upid=$(tr -d ' ' </proc/"$ns_pid"/task/"$ns_pid"/children 2>/dev/null)
	pids_to_kill+=("$upid")
}
# usher_wait SECONDS — waits for usher to end; sets status (124: it did not).
usher_wait() {
	local i=0
	while kill -0 "$ns_pid" 2>/dev/null && [ "$i" -lt $(($1 * 50)) ]; do sleep 0.02; i=$((i + 1)); done
	if kill -0 "$ns_pid" 2>/dev/null; then status=124; else wait "$ns_pid"; status=$?; fi
}
in_net() { nsenter --target "$upid" --net "$@"; }
health_status() { in_net curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:8080/health; }
health_is_200() { [ "$(health_status)" = 200 ]; }
child_or_gone() { test -n "$(cat /proc/"$1"/task/"$1"/children 2>/dev/null)" || ! kill -0 "$1"; }
# child_of PID TITLE — the pid of PID's child whose command line starts with TITLE.
child_of() {
	local c
	for c in $(cat /proc/"$1"/task/"$1"/children 2>/dev/null); do
		case "$(tr '\0' ' ' </proc/"$c"/cmdline 2>/dev/null)" in
		"$2"*) echo "$c"; return 0 ;;
		esac
	done
	return 1
}
# A new master with workers of its own (one that could not bind its port exits before forking).
fpm_restarted() {
	local now
	now=$(child_of "$upid" "php-fpm: master") && [ "$now" != "$fpm" ] &&
		test -n "$(cat /proc/"$now"/task/"$now"/children 2>/dev/null)"
}
status_field() { awk -v k="$2:" '$1 == k { print $2 }' /proc/"$1"/status; }
start_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f\n", $20 / hz }' /proc/"$1"/stat; }

# Does this usher run services yet (ENGINE's runtime; SANDBOX's per-service plans)? A oneshot
# service must have run before the main command, as uid 1000.
printf '[Service probe]\nType=oneshot\nExecStart=/bin/sh -c "id -u > %s/probe"\nUser=1000\n' "$work" >"$work/probe.conf"
chmod 777 "$work"
probe=$(unshare --pid --fork --mount-proc "$USHER" --config "$work/probe.conf" -- cat "$work/probe" 2>&1)
chmod 755 "$work"
if [ "$probe" != 1000 ]; then
	skip "this usher does not run services yet, so nothing here can run: $(printf '%s' "$probe" | head -1)"
	done_testing
	exit
fi

# ---------------------------------------------------------------- php-fpm + nginx
mkdir -p "$work/run" "$work/srv"
chown 1000:1000 "$work/run"
cp "$examples/health.php" "$work/srv/"
chmod -R a+rX "$work/srv"
to_work() { sed -e "s|/run/web|$work/run|g; s|/srv/web|$work/srv|g; s|/etc/usher/|$work/|g" "$@"; }
to_work "$examples/php-fpm.conf" >"$work/php-fpm.conf"
# Requests logged to /dev/stdout, which nginx (uid 1000) can reopen only because usher hands it
# the relay's pipe (LogPrefix=yes in php-nginx.conf). Not in the example: bench/services.sh runs
# the same file under supervisord and s6, where it cannot.
to_work "$examples/nginx.conf" | sed 's|access_log off;|access_log /dev/stdout;|' >"$work/nginx.conf"
grep -q 'access_log /dev/stdout;' "$work/nginx.conf" || diag "the sed on nginx.conf no longer matches"
# The example as it is, but php-fpm waits a second before it starts (exec: still php-fpm's own
# pid), so a nginx started before php-fpm listens would show.
to_work "$examples/php-nginx.conf" |
	sed 's|^ExecStart=/usr/sbin/php-fpm8.2 \(.*\)$|ExecStart=/bin/sh -c "sleep 1; exec /usr/sbin/php-fpm8.2 \1"|' \
		>"$work/usher.conf"
grep -q 'sleep 1; exec /usr/sbin/php-fpm8.2 -F' "$work/usher.conf" || diag "the sed on php-nginx.conf no longer matches"

usher_start "$work/usher.conf"
ok $? "usher starts as PID 1 with php-nginx.conf (pid $upid here)"
# When does port 9000 first accept? (Polled from inside the namespace, every 10 ms.)
in_net bash -c "until (exec 3<>/dev/tcp/127.0.0.1/9000) 2>/dev/null; do sleep 0.01; done; cut -d' ' -f1 /proc/uptime" \
	>"$work/listen-at" &
poller=$!
pids_to_kill+=("$poller")
wait_for 40 health_is_200
ok $? "/health (a PHP page behind nginx) answers 200"
wait "$poller"
fpm=$(child_of "$upid" "php-fpm: master")
web=$(child_of "$upid" "nginx: master")
ok $? "php-fpm ($fpm) and nginx ($web) are usher's children"
listen_at=$(cat "$work/listen-at")
web_started=$(start_seconds "$web")
awk -v s="$web_started" -v l="$listen_at" 'BEGIN { exit !(s + 0.15 >= l) }'
ok $? "nginx was not started before php-fpm listened (nginx at ${web_started}s, port 9000 at ${listen_at}s of uptime)"
for p in "$fpm" "$web"; do
	is "$(status_field "$p" Uid | head -1) $(status_field "$p" CapEff) $(status_field "$p" CapBnd) $(status_field "$p" NoNewPrivs) $(status_field "$p" Seccomp)" \
		"1000 0000000000000000 0000000000000000 1 2" \
		"$(cat /proc/"$p"/comm): uid 1000, no capabilities (effective, bounding), no_new_privs, seccomp filter"
done

kill -KILL "$fpm"
wait_for 30 fpm_restarted
ok $? "php-fpm's master killed: usher starts it again"
wait_for 40 health_is_200
ok $? "... and /health answers 200 again"
web_now=$(child_of "$upid" "nginx: master")
diag "nginx after php-fpm's restart: $web_now (was $web)"

kill -TERM "$upid"
usher_wait 40
is "$status" 0 "SIGTERM: usher stops both and exits 0"
err=$(cat "$work/err")
nginx_line=$(grep -n 'signal 15 (SIGTERM) received' "$work/err" | head -1 | cut -d: -f1)
fpm_line=$(grep -n 'Terminating' "$work/err" | tail -1 | cut -d: -f1)
[ -n "$nginx_line" ] && [ -n "$fpm_line" ] && [ "$nginx_line" -lt "$fpm_line" ]
ok $? "reverse order: nginx got its SIGTERM (line ${nginx_line:-none}) before php-fpm (line ${fpm_line:-none})"
like "$err" 'exiting, bye-bye' "php-fpm finished its own graceful stop"
# LogPrefix=yes (php-nginx.conf): both run as uid 1000 and reopen their output.
like "$err" '^php-fpm \| \[[^]]*\] NOTICE: fpm is running' "LogPrefix: php-fpm's stderr lines start with \"php-fpm | \""
like "$(cat "$work/out")" '^nginx \| 127\.0\.0\.1 - - \[[^]]*\] "GET /health HTTP/1\.1" 200' \
	"LogPrefix: nginx (uid 1000) reopened /dev/stdout for its access log: its lines arrive, prefixed"
is "$(grep -Ev '^(php-fpm|nginx) \| |^usher: ' "$work/err" | head -3)" "" "every stderr line is a prefixed one or usher's own"
like "$err" '\[notice\] [0-9]+#[0-9]+: exit' "nginx finished its own graceful stop"
not_me=$(printf '%s' "$work" | sed 's|^/tmp/u|/tmp/[u]|') # a pattern that does not match grep itself
left=$(grep -l -e "$not_me" /proc/[0-9]*/cmdline 2>/dev/null | grep -v "^/proc/$$/" || true)
is "$left" "" "nothing left running that uses the test's files"
[ "$status" = 0 ] || { diag "usher's stderr:"; tail -20 "$work/err" | sed 's/^/#   /'; }

# ---------------------------------------------------------------- containerd, then the main command
mkdir -p "$work/ctrd"
cat >"$work/ctrd/config.toml" <<EOF
version = 2
root = "$work/ctrd/root"
state = "$work/ctrd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/ctrd/containerd.sock"
EOF
sed -e "s|/etc/containerd/config.toml|$work/ctrd/config.toml|; s|/run/containerd/containerd.sock|$work/ctrd/containerd.sock|" \
	"$examples/containerd-job.conf" >"$work/ctrd/usher.conf"
usher_start "$work/ctrd/usher.conf" -- ctr --address "$work/ctrd/containerd.sock" version
usher_wait 60
is "$status" 0 "containerd ready on its socket, then \`ctr version\` as the main command: exit 0"
like "$(cat "$work/out")" 'Server:' "ctr talked to the server"
[ "$status" = 0 ] || { diag "usher's stderr:"; tail -20 "$work/err" | sed 's/^/#   /'; }

# The same daemon, but the check waits for a socket it never opens.
sed -e "s|^ReadyCheck=.*|ReadyCheck=unix:$work/ctrd/never.sock|; s|^TimeoutStartSec=.*|TimeoutStartSec=2s|" \
	"$work/ctrd/usher.conf" >"$work/ctrd/never.conf"
start=$(date +%s%N)
usher_start "$work/ctrd/never.conf" -- sh -c "touch $work/main-ran"
usher_wait 60
took=$(( ($(date +%s%N) - start) / 1000000 ))
is "$status" 125 "a daemon that never opens its socket: exit 125"
like "$(cat "$work/err")" 'service "containerd".*not ready after 2s' "... with one line naming the service and its timeout"
[ ! -e "$work/main-ran" ]
ok $? "... and the main command never ran"
[ "$took" -ge 1900 ]
ok $? "... not before its TimeoutStartSec= (${took} ms)"

done_testing
