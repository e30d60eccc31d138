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

# podman --user 65532:65532 leaves the primary gid in the supplementary list; asking for no
# supplementary groups is the same access (the primary gid counts either way).
as_user 65532 --groups=65532 --user nonroot --init-groups no
is "$(cat "$T/rc")" 0 "groups [65532], --user nonroot --init-groups no: runs" || diag "$(cat "$T/stderr")"
is "$(field Gid <"$T/out")" "65532 65532 65532 65532" "--init-groups no with the primary gid listed: gid stays"

as_user 65532 --groups=65532 --user 65532:65532
is "$(cat "$T/rc")" 0 "already 65532, --user 65532:65532: runs" || diag "$(cat "$T/stderr")"

# The engine switched user but left its bounding set (podman --user without --cap-drop ALL):
# usher cannot drop it (no CAP_SETPCAP) and need not: nothing permitted, not root, no_new_privs.
bnd=$(setpriv --inh-caps -all grep CapBnd /proc/self/status | cut -f2)
in_image setpriv --reuid 65532 --regid 65532 --groups=65532 --inh-caps -all \
	"${USHER_CLEAN[@]}" --user nonroot -- "$PROGS/status-report" >"$T/out" 2>"$T/stderr"
is "$?" 0 "already nonroot with a full bounding set: runs" || diag "$(cat "$T/stderr")"
is "$(field CapBnd <"$T/out")" "$bnd" "full bounding set: left as it was"
is "$(field CapPrm <"$T/out") $(field CapEff <"$T/out") $(field CapAmb <"$T/out")" \
	"0000000000000000 0000000000000000 0000000000000000" "full bounding set: nothing permitted, effective or ambient"
is "$(field NoNewPrivs <"$T/out")" "1" "full bounding set: no_new_privs set, so it cannot be used"

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

# --- issue 9.2: an unreadable /etc/passwd (podman writes a root-only one under --user) -------
chmod 0600 "$T/passwd"
as_user 1000 --groups=1000 --user 1000:1000
is "$(cat "$T/rc")" 0 "unreadable passwd, --user 1000:1000: runs" || diag "$(cat "$T/stderr")"
is "$(field Uid <"$T/out")" "1000 1000 1000 1000" "unreadable passwd: uid as given"
is "$(field Gid <"$T/out")" "1000 1000 1000 1000" "unreadable passwd: gid as given"
is "$(field HOME <"$T/out")" "/" "unreadable passwd: HOME=/ as for a uid without an entry"

as_user 1000 --groups=1000 --user 1000
is "$(cat "$T/rc")" 0 "unreadable passwd, --user 1000: runs, gid the same number" || diag "$(cat "$T/stderr")"
is "$(field Gid <"$T/out")" "1000 1000 1000 1000" "unreadable passwd, --user 1000: gid 1000"

as_user 1000 --groups=1000 --user alice
is "$(cat "$T/rc")" 125 "unreadable passwd, --user alice: exit 125"
like "$(cat "$T/stderr")" "^usher: --user: cannot look up 'alice': /etc/passwd: Permission denied \(a numeric UID\[:GID\] needs no passwd file\)$" \
	"unreadable passwd, a name: says why and what works"
unlike "$(cat "$T/out")" "Uid:" "unreadable passwd, a name: workload never ran"
chmod 0644 "$T/passwd"

done_testing
