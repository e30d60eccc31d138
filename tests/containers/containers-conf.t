#!/usr/bin/env bash
# tests/containers/containers-conf.t — build/setup-engine.sh's containers.conf edit: it sets
# [engine] runtime and [containers] default_ulimits (from this machine's hard limits) and keeps
# every other line of an existing file; a second run changes nothing.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"
[ "$(id -u)" -eq 0 ] || { skip "containers: setup-engine.sh needs root"; done_testing; exit $?; }
tmp=$(mktemp -d /tmp/usher-conf.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
conf="$tmp/containers.conf"
cat >"$conf" <<'CONF'
# a site's own settings
[containers]
log_size_max = 1000000
default_ulimits = ["nofile=1048576:1048576"]

[engine]
# runtime = "crun"
events_logger = "file"
runtime = "crun"

[network]
network_backend = "netavark"
CONF
USHER_CONTAINERS_CONF="$conf" "$SOURCE_ROOT/build/setup-engine.sh" >"$tmp/out" 2>&1
ok $? "setup-engine.sh on an existing containers.conf"
n=$(ulimit -Hn) p=$(ulimit -Hu)
[ "$n" = unlimited ] && n=1048576
{ [ "$p" = unlimited ] || [ "$p" -gt 32768 ]; } && p=32768
text=$(cat "$conf")
like "$text" "^runtime = \"runc\"$" "[engine] runtime = \"runc\""
unlike "$text" "^runtime = \"crun\"" "the old runtime line was replaced, not duplicated"
like "$text" "^default_ulimits = \\[\"nofile=$n:$n\", \"nproc=$p:$p\"\\]$" "default_ulimits from the hard limits (nofile $n, nproc $p)"
for kept in '# a site'"'"'s own settings' 'log_size_max = 1000000' '# runtime = "crun"' 'events_logger = "file"' 'network_backend = "netavark"' '[network]'; do
	grep -qxF -- "$kept" "$conf"
	ok $? "kept: $kept"
done
cp "$conf" "$tmp/before"
USHER_CONTAINERS_CONF="$conf" "$SOURCE_ROOT/build/setup-engine.sh" >"$tmp/out2" 2>&1
cmp -s "$conf" "$tmp/before"
ok $? "a second run leaves the file as it is"
unlike "$(cat "$tmp/out2")" "set \\[" "and says it set nothing"
rm -f "$tmp/new.conf"
USHER_CONTAINERS_CONF="$tmp/new.conf" "$SOURCE_ROOT/build/setup-engine.sh" >/dev/null 2>&1
is "$(grep -c '^\[engine\]\|^\[containers\]' "$tmp/new.conf" 2>/dev/null)" 2 "a missing file is created with the two sections"
done_testing
