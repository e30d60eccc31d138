#!/usr/bin/env bash
# tests/services/services-home.t — a [Service NAME] with User= gets that user's HOME from the
# image's passwd (HOME=/ without an entry), as the main command with --user does, unless its
# Environment=/EnvironmentFile= sets one: what a real uid-1000 service under usher as PID 1 saw.
. "$SOURCE_ROOT/tests/lib/tap.sh"
. "$SOURCE_ROOT/tests/sandbox/sandbox-lib.sh"

# saw KEYS... — usher as PID 1 in the test image, usher's own HOME=/root, with $T/svc.conf:
# one oneshot service printing its uid and environment; the main command prints its HOME.
saw() {
	in_image_pid1 env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$PROGS/usher" \
		--config "$T/svc.conf" -- /bin/sh -c 'echo "main HOME=$HOME"' >"$T/out" 2>"$T/err"
	echo $? >"$T/rc"
}
# service USER-LINE [MORE-LINES] — writes $T/svc.conf
service() {
	printf '[Service show]\nType=oneshot\nExecStart=/bin/sh -c "echo uid=$$(id -u); env"\n%s\n%s\n' \
		"$1" "${2:-}" >"$T/svc.conf"
}
var() { sed -n "s/^$1=//p" "$T/out" | head -n 1; }

service User=alice
saw
is "$(cat "$T/rc")" 0 "User=alice: usher exits 0"
is "$(var uid)" 1000 "User=alice: the service runs as uid 1000"
is "$(var HOME)" /home/alice "User=alice: HOME from its passwd entry, not usher's /root"
like "$(cat "$T/out")" "main HOME=/root" "... the main command (no --user) keeps usher's HOME"
unlike "$(cat "$T/out")" "^(USER|LOGNAME)=" "... no USER/LOGNAME (the main command gets none either)"

service User=1001
saw
is "$(var uid)" 1001 "User=1001: runs as uid 1001"
is "$(var HOME)" /srv/bob "User=1001: HOME of that uid's passwd entry"

service User=4242
saw
is "$(var uid)" 4242 "User=4242 (no passwd entry): runs as uid 4242"
is "$(var HOME)" / "User=4242: HOME=/, as --user 4242 gives"

service User=nohome
saw
is "$(var HOME)" / "User=nohome (empty home field): HOME=/"

service User=alice Environment=HOME=/data
saw
is "$(var uid)" 1000 "User=alice Environment=HOME=/data: uid 1000"
is "$(var HOME)" /data "... Environment= sets HOME: it is kept"

printf 'HOME=/from-file\n' >"$T/home.env"
chmod 0644 "$T/home.env"
service User=alice "EnvironmentFile=$T/home.env"
saw
is "$(var HOME)" /from-file "User=alice EnvironmentFile= with HOME: the file's HOME is kept"

# A ReadyCheck=exec: runs as its service does (User=, as HealthCheck=exec: does): `id -u` prints
# a line of its own on usher's stdout.
printf '[Service web]\nExecStart=/bin/sleep 30\nUser=alice\nReadyCheck=exec:/usr/bin/id -u\n' >"$T/svc.conf"
saw
is "$(cat "$T/rc")" 0 "User=alice with ReadyCheck=exec: usher exits 0"
is "$(grep -x '[0-9]*' "$T/out" | head -n 1)" 1000 "... the ReadyCheck ran as the service's uid 1000, not as root"

# The main command's rule: a HOME the credentials set on purpose (not usher's own) stays.
service User=alice
in_image_pid1 env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$PROGS/usher" --env HOME=/keep \
	--config "$T/svc.conf" -- /bin/sh -c 'echo "main HOME=$HOME"' >"$T/out" 2>"$T/err"
is "$(var HOME)" /keep "User=alice with --env HOME=/keep: the HOME set on purpose is kept"
like "$(cat "$T/out")" "main HOME=/keep" "... as the main command keeps it"
service User=alice Environment=HOME=/data
in_image_pid1 env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$PROGS/usher" --env HOME=/keep \
	--config "$T/svc.conf" -- /bin/true >"$T/out" 2>"$T/err"
is "$(var HOME)" /data "... and the service's own Environment=HOME= still wins"

service "" ""
saw
is "$(var uid)" 0 "no User=: the service runs as root"
is "$(var HOME)" /root "no User=: the service keeps usher's HOME"

done_testing
