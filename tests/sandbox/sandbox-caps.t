#!/usr/bin/env bash
# tests/sandbox/sandbox-caps.t — --cap-keep/--cap-drop/--no-new-privs: the workload's own
# /proc/self/status sets, -v's report, and a uid-1000 workload binding port 80.
. "$SOURCE_ROOT/tests/lib/tap.sh"
. "$SOURCE_ROOT/tests/sandbox/sandbox-lib.sh"

# What this shell has: usher can hand on at most this.
own_bnd=$(field CapBnd </proc/self/status)
hex() { printf '%016x' "$1"; }
NET_BIND_SERVICE=$((1 << 10)) CHOWN=$((1 << 0)) NET_RAW=$((1 << 13))

if (( 0x$own_bnd & NET_BIND_SERVICE )) && (( 0x$own_bnd & CHOWN )); then
	out=$(report --cap-keep NET_BIND_SERVICE,CAP_CHOWN)
	want=$(hex $((NET_BIND_SERVICE | CHOWN)))
	is "$(cat "$T/rc")" 0 "root --cap-keep: workload runs"
	for set in CapInh CapPrm CapEff CapBnd; do
		is "$(field $set <<<"$out")" "$want" "root --cap-keep NET_BIND_SERVICE,CAP_CHOWN: $set"
	done
	is "$(field CapAmb <<<"$out")" "$(hex 0)" "root --cap-keep: ambient stays empty"
	is "$(field NoNewPrivs <<<"$out")" 1 "root --cap-keep: no_new_privs"
	is "$(field Uid <<<"$out")" "0 0 0 0" "root --cap-keep: still root"

	out=$(report --user 1000 --cap-keep net_bind_service)
	want=$(hex $NET_BIND_SERVICE)
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		is "$(field $set <<<"$out")" "$want" "--user 1000 --cap-keep net_bind_service: $set"
	done
	is "$(field NoNewPrivs <<<"$out")" 1 "--user 1000 --cap-keep: no_new_privs"

	out=$(report --cap-drop ALL --cap-keep NET_BIND_SERVICE)
	is "$(field CapBnd <<<"$out")" "$want" "--cap-drop ALL --cap-keep NET_BIND_SERVICE (Docker style)"
	is "$(field CapEff <<<"$out")" "$want" "--cap-drop ALL --cap-keep: effective"

	out=$(report -v --user 1000 --cap-keep NET_BIND_SERVICE)
	like "$(cat "$T/stderr")" "bnd=0x400 amb=0x400 \(NET_BIND_SERVICE\)" "-v prints the final sets"
	like "$(cat "$T/stderr")" "uid=1000 gid=1000" "-v prints the final ids"
else
	skip "this shell lacks CAP_NET_BIND_SERVICE or CAP_CHOWN in its bounding set"
fi

out=$(report --user 1000)
for set in CapInh CapPrm CapEff CapBnd CapAmb; do
	is "$(field $set <<<"$out")" "$(hex 0)" "--user 1000 without --cap-keep: $set empty"
done
is "$(field NoNewPrivs <<<"$out")" 1 "--user 1000: no_new_privs"

out=$(report --user 1000 --cap-drop NET_RAW)
is "$(field CapBnd <<<"$out"):$(field CapAmb <<<"$out")" "$(hex 0):$(hex 0)" \
	"--user 1000 --cap-drop NET_RAW: a non-root uid still gets nothing not kept"

out=$(report --cap-drop NET_RAW)
is "$(field CapBnd <<<"$out")" "$(hex $((0x$own_bnd & ~NET_RAW)))" "--cap-drop NET_RAW: the rest kept"
is "$(field CapEff <<<"$out")" "$(hex $((0x$own_bnd & ~NET_RAW)))" "--cap-drop NET_RAW: effective"

out=$(report --cap-drop ALL)
is "$(field CapBnd <<<"$out")" "$(hex 0)" "--cap-drop ALL as root: bounding empty"
is "$(field CapEff <<<"$out")" "$(hex 0)" "--cap-drop ALL as root: effective empty"

out=$(report)
is "$(field CapBnd <<<"$out")" "$own_bnd" "no option: bounding set untouched"
is "$(field NoNewPrivs <<<"$out")" 0 "no option: no_new_privs not set"
is "$(field Seccomp <<<"$out")" 0 "no option: no seccomp filter"

out=$(report --no-new-privs)
is "$(field NoNewPrivs <<<"$out")" 1 "--no-new-privs alone"
is "$(field CapBnd <<<"$out")" "$own_bnd" "--no-new-privs alone: capabilities untouched"

cat >"$T/usher.conf" <<'CONF'
[Service]
User=1000
KeepCapabilities=NET_BIND_SERVICE
CONF
out=$(report --config "$T/usher.conf")
is "$(field CapAmb <<<"$out")" "$(hex $NET_BIND_SERVICE)" "config KeepCapabilities=: ambient for uid 1000"

cat >"$T/usher.conf" <<'CONF'
[Service]
DropCapabilities=ALL
NoNewPrivileges=yes
CONF
out=$(report --config "$T/usher.conf")
is "$(field CapBnd <<<"$out")" "$(hex 0)" "config DropCapabilities=ALL"
is "$(field NoNewPrivs <<<"$out")" 1 "config NoNewPrivileges=yes"

out=$(report --user 1000 --seccomp default)
is "$(cat "$T/rc")" 0 "--user 1000 --seccomp default: workload runs"
is "$(field Seccomp <<<"$out")" 2 "--seccomp default: filter loaded after the uid switch"
is "$(field NoNewPrivs <<<"$out")" 1 "--seccomp: no_new_privs"

# Port 80 in a fresh network namespace, where ports below 1024 are privileged again.
# bind80 [--pid1] USHER-ARGS... — "STATUS:OUTPUT" of bind-port 80 run by usher.
bind80() {
	local pid1=()
	[ "$1" = --pid1 ] && { pid1=(--pid --fork --mount-proc); shift; }
	unshare --net "${pid1[@]}" sh -c \
		'echo 1024 >/proc/sys/net/ipv4/ip_unprivileged_port_start && exec "$@"' \
		sh "${USHER_CLEAN[@]}" "$@" -- "$PROGS/bind-port" 80 2>&1
	echo ":$?"
}
if (( 0x$own_bnd & NET_BIND_SERVICE )); then
	is "$(bind80 --user 1000 --cap-keep NET_BIND_SERVICE)" "bound 80
:0" "uid 1000 with NET_BIND_SERVICE kept binds port 80"
	is "$(bind80 --user 1000)" "bind: Permission denied
:1" "uid 1000 without it cannot"
	is "$(bind80 --user 1000 --cap-keep CHOWN)" "bind: Permission denied
:1" "uid 1000 with another capability kept cannot"
	is "$(bind80 --pid1 --user 1000 --cap-keep NET_BIND_SERVICE)" "bound 80
:0" "as PID 1: uid 1000 with NET_BIND_SERVICE kept binds port 80"
else
	skip "this shell lacks CAP_NET_BIND_SERVICE"
fi

done_testing
