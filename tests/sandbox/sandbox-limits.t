#!/usr/bin/env bash
# tests/sandbox/sandbox-limits.t — --rlimit/LimitXXX= and --umask/UMask=, as the workload
# sees them, alone and together with a user switch.
. "$SOURCE_ROOT/tests/lib/tap.sh"
. "$SOURCE_ROOT/tests/sandbox/sandbox-lib.sh"

out=$(report --rlimit nofile=100:200 --rlimit CORE=0 --umask 0027)
is "$(cat "$T/rc")" 0 "--rlimit/--umask: workload runs"
is "$(field LimitNOFILE <<<"$out")" "100 200" "--rlimit nofile=100:200"
is "$(field LimitCORE <<<"$out")" "0 0" "--rlimit CORE=0: one value for soft and hard"
is "$(field Umask <<<"$out")" "0027" "--umask 0027"
is "$(field NoNewPrivs <<<"$out")" 0 "limits alone do not set no_new_privs"

out=$(report --user 1000 --rlimit nproc=500:1000 --umask 077)
is "$(field LimitNPROC <<<"$out")" "500 1000" "--rlimit nproc=500:1000 as uid 1000"
is "$(field Umask <<<"$out")" "0077" "--umask 077 as uid 1000"

if [ "$(ulimit -Hc)" = unlimited ]; then
	out=$(report --rlimit core=4096:infinity)
	is "$(field LimitCORE <<<"$out")" "4096 infinity" "--rlimit core=4096:infinity"
else
	skip "the hard core limit here is not unlimited"
fi

cat >"$T/usher.conf" <<'CONF'
[Service]
LimitNOFILE=64
LimitCORE=1K:2K
UMask=0002
CONF
out=$(report --config "$T/usher.conf")
is "$(field LimitNOFILE <<<"$out")" "64 64" "LimitNOFILE=64"
is "$(field LimitCORE <<<"$out")" "1024 2048" "LimitCORE=1K:2K"
is "$(field Umask <<<"$out")" "0002" "UMask=0002"

out=$(report --config "$T/usher.conf" --rlimit nofile=32)
is "$(field LimitNOFILE <<<"$out")" "32 32" "a later --rlimit overrides the config file"

done_testing
