#!/usr/bin/env bash
# tests/sandbox/sandbox-asuser.t — usher started by an engine that already switched user
# (podman --user, Kubernetes runAsUser): same user and groups succeed without privileges.
. "$SOURCE_ROOT/tests/lib/tap.sh"
. "$SOURCE_ROOT/tests/sandbox/sandbox-lib.sh"

chmod 1777 "$T"
# as_user UID GROUPS-OPTION USHER-ARGS... — usher as UID:UID with no capabilities at all (what
# `podman run --user UID:UID --cap-drop ALL` gives), workload status in $T/out.
as_user() {
	local uid=$1 groups=$2
	shift 2
	in_image setpriv --reuid "$uid" --regid "$uid" $groups --inh-caps -all --bounding-set -all \
		"${USHER_CLEAN[@]}" "$@" -- "$PROGS/status-report" >"$T/out" 2>"$T/stderr"
	echo $? >"$T/rc"
}

# --- issue 9.1: switching to the user you already are ---------------------------------------
as_user 65532 --groups=65532 --user nonroot
is "$(cat "$T/rc")" 0 "already nonroot, --user nonroot: runs" || diag "$(cat "$T/stderr")"
is "$(field Uid <"$T/out")" "65532 65532 65532 65532" "already nonroot: uid stays"
is "$(field Groups <"$T/out")" "65532" "already nonroot: groups stay"
is "$(field CapEff <"$T/out")" "0000000000000000" "already nonroot: no capabilities"
is "$(field NoNewPrivs <"$T/out")" "1" "already nonroot: no_new_privs still set"

as_user 65532 --clear-groups --user nonroot --init-groups no
is "$(cat "$T/rc")" 0 "no groups, --user nonroot --init-groups no: runs" || diag "$(cat "$T/stderr")"
is "$(field Groups <"$T/out")" "" "--init-groups no: still no groups"

as_user 65532 --groups=65532 --user 65532:65532
is "$(cat "$T/rc")" 0 "already 65532, --user 65532:65532: runs" || diag "$(cat "$T/stderr")"

# A real difference still fails closed, saying what usher could not change.
as_user 65532 --groups=65532 --user nonroot --groups audio
is "$(cat "$T/rc")" 125 "other groups asked without CAP_SETGID: exit 125"
like "$(cat "$T/stderr")" "^usher: setgroups \(2 groups\): Operation not permitted \(usher lacks CAP_SETGID to change groups 65532 to 65532,29\)$" \
	"other groups: says which"
unlike "$(cat "$T/out")" "Uid:" "other groups: workload never ran"

as_user 65532 --groups=65532 --user 4242:65532 --init-groups no --groups 65532
is "$(cat "$T/rc")" 125 "another uid asked without CAP_SETUID: exit 125"
like "$(cat "$T/stderr")" "^usher: setresuid\(4242\): Operation not permitted \(usher runs as uid 65532 without CAP_SETUID\)$" \
	"another uid: says why"
unlike "$(cat "$T/out")" "Uid:" "another uid: workload never ran"

as_user 65532 --groups=65532 --group audio --init-groups no --groups 65532
is "$(cat "$T/rc")" 125 "another gid asked without CAP_SETGID: exit 125"
like "$(cat "$T/stderr")" "^usher: setresgid\(29\): Operation not permitted \(usher runs as gid 65532 without CAP_SETGID\)$" \
	"another gid: says why"

done_testing
