#!/usr/bin/env bash
# tests/health/healthcheck-oci.t — `usher probe` as Docker's HEALTHCHECK CMD runs it: exec'd
# into a running runc container whose rootfs has no shell (only /usher and the static
# /test-server), the way tests/oci/oci.t builds its bundles. Needs root, runc, the static build.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"

SERVER="$BUILD_ROOT/tests/health/test-server"
skip_all() { skip "$1"; done_testing; exit $?; }
[ "${STATIC_BUILD:-0}" = 1 ] || skip_all "healthcheck-oci: needs the static build: the rootfs has no libraries"
[ "$(id -u)" -eq 0 ] || skip_all "healthcheck-oci: runc needs root"
if ! command -v runc >/dev/null 2>&1; then
	ok 1 "runc is installed (build/setup.sh installs it)"
	done_testing
	exit $?
fi

tmp=$(mktemp -d /tmp/usher-hc.XXXXXX) || exit 1
RUNC=(runc --root "$tmp/state")
ID="usher-hc-$$"
job=""
cleanup() {
	"${RUNC[@]}" delete -f "$ID" >/dev/null 2>&1
	[ -n "$job" ] && { wait_for 20 sh -c "! kill -0 $job" || kill "$job"; }
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

rootfs="$tmp/rootfs"
mkdir -p "$rootfs/proc" "$rootfs/dev" "$rootfs/tmp" && cp "$USHER" "$rootfs/usher" &&
	cp "$SERVER" "$rootfs/test-server"
ok $? "rootfs with only /usher and /test-server"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
down=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

mkdir -p "$tmp/bundle" && (cd "$tmp/bundle" && runc spec) || { ok 1 "runc spec"; done_testing; exit 1; }
# The host's network (as docker run --network host) so the server's 127.0.0.1 is the probe's;
# a tmpfs /tmp for the unix socket; no cgroup settings (runc's business, as in oci.t).
python3 - "$tmp/bundle/config.json" "$rootfs" "$port" <<'EOF'
import json, sys
path, rootfs, port = sys.argv[1:]
c = json.load(open(path))
c["root"] = {"path": rootfs, "readonly": True}
c["process"]["args"] = ["/usher", "--", "/test-server", "up", "tcp:127.0.0.1:" + port, "/tmp/ready"]
c["process"]["terminal"] = False
lx = c["linux"]
lx.pop("resources", None)
lx["namespaces"] = [n for n in lx["namespaces"] if n["type"] not in ("cgroup", "network")]
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]})
json.dump(c, open(path, "w"), indent=1)
EOF
ok $? "bundle: usher as PID 1 running /test-server on 127.0.0.1:$port"
("${RUNC[@]}" run --bundle "$tmp/bundle" "$ID" </dev/null >"$tmp/stdout" 2>"$tmp/stderr"; echo $? >"$tmp/rc") &
job=$!

# hc ARGS... — what Docker does for HEALTHCHECK CMD ["/usher","probe",ARGS...]: exec it in
# the container; OUT and RC.
hc() { OUT=$("${RUNC[@]}" exec "$ID" /usher probe "$@" 2>"$tmp/hc.err"); RC=$?; }
started() { hc file:/tmp/ready; [ "$RC" = 0 ]; }
if ! wait_for 60 started; then
	ok 1 "the container's server is up"
	diag "stderr: $(cat "$tmp/stderr" "$tmp/hc.err" 2>&1)"
	done_testing
	exit $?
fi
ok 0 "the container's server is up (usher probe file:/tmp/ready passed inside it)"

"${RUNC[@]}" exec "$ID" /bin/sh -c true >/dev/null 2>&1
isnt "$?" 0 "the container has no shell"
hc "http://127.0.0.1:$port/health"
is "$RC" 0 "HEALTHCHECK CMD [\"/usher\",\"probe\",\"http://127.0.0.1:$port/health\"]: exit 0"
is "$OUT" "ok: http://127.0.0.1:$port/health: HTTP 200" "HEALTHCHECK: its one line"
hc "tcp:localhost:$port"
is "$RC" 0 "tcp:localhost with no /etc/hosts in the image: exit 0"
hc "tcp:127.0.0.1:$down"
is "$RC" 1 "a port nobody listens on: exit 1 (unhealthy)"
like "$OUT" "^failed: tcp:127.0.0.1:$down: connect: Connection refused$" "unhealthy: its one line"
hc --timeout 2s "exec:/usher probe http://127.0.0.1:$port/"
is "$RC" 0 "exec: with no shell in the image (usher probing through usher): exit 0"
hc "exec:/bin/sh -c true"
is "$RC" 1 "exec:/bin/sh in a shell-less image: exit 1"
like "$OUT" "exit 127" "exec:/bin/sh: exit 127, not found"
hc "nonsense"
is "$RC" 2 "a bad SPEC: exit 2 (Docker's reserved code: never mistaken for healthy)"

"${RUNC[@]}" kill "$ID" TERM
wait_for 30 test -s "$tmp/rc"
is "$(cat "$tmp/rc" 2>/dev/null)" 143 "SIGTERM ends the container (test-server dies of it: 128+15)"
done_testing
