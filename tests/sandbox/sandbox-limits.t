#!/usr/bin/env bash
# tests/sandbox/sandbox-limits.t — --rlimit/LimitXXX= and --umask/UMask=, as the workload
# sees them, alone and together with a user switch.
. "$SOURCE_ROOT/tests/lib/tap.sh"
. "$SOURCE_ROOT/tests/sandbox/sandbox-lib.sh"

out=$(report --rlimit nofile=100:200 --rlimit FSIZE=1M --umask 0027)
is "$(cat "$T/rc")" 0 "--rlimit/--umask: workload runs"
is "$(field LimitNOFILE <<<"$out")" "100 200" "--rlimit nofile=100:200"
is "$(field LimitFSIZE <<<"$out")" "1048576 1048576" "--rlimit FSIZE=1M: one value for soft and hard"
is "$(field Umask <<<"$out")" "0027" "--umask 0027"
is "$(field NoNewPrivs <<<"$out")" 0 "limits alone do not set no_new_privs"

out=$(report --user 1000 --rlimit nproc=500:1000 --umask 077)
is "$(field LimitNPROC <<<"$out")" "500 1000" "--rlimit nproc=500:1000 as uid 1000"
is "$(field Umask <<<"$out")" "0077" "--umask 077 as uid 1000"

if [ "$(ulimit -Hf)" = unlimited ]; then
	out=$(report --rlimit fsize=4096:infinity)
	is "$(field LimitFSIZE <<<"$out")" "4096 infinity" "--rlimit fsize=4096:infinity"
else
	skip "the hard file size limit here is not unlimited"
fi

cat >"$T/usher.conf" <<'CONF'
[Service]
LimitNOFILE=64
LimitFSIZE=1M:2M
UMask=0002
CONF
out=$(report --config "$T/usher.conf")
is "$(field LimitNOFILE <<<"$out")" "64 64" "LimitNOFILE=64"
is "$(field LimitFSIZE <<<"$out")" "1048576 2097152" "LimitFSIZE=1M:2M"
is "$(field Umask <<<"$out")" "0002" "UMask=0002"

out=$(report --config "$T/usher.conf" --rlimit nofile=32)
is "$(field LimitNOFILE <<<"$out")" "32 32" "a later --rlimit overrides the config file"

done_testing
