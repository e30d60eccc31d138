#!/usr/bin/env bash
# tests/containers/containers-sandbox.t — usher's sandbox inside the engine's own: podman's
# --user (Kubernetes runAsUser), --cap-drop ALL, --read-only and its seccomp profile.
#
# Each case runs `/usher OPTS -- /t/ct-probe /results/NAME status probe` in the image and reads
# what the workload got from /proc/self/status (uid, gid, groups, caps, no_new_privs, seccomp
# filters) and whether it could reopen /dev/stdout and /dev/stderr. One case per row of
# docs/containers.md's table.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"
. "$SOURCE_ROOT/tests/containers/ct-lib.sh"

ct_requirements
ct_setup
ct_image
diag "image: $CT_IMAGE — $CT_VARIANT"

# probe NAME [PODMAN-OPTS...] -- [USHER-OPTS...] — runs the probe under usher; sets RC (what
# podman wait says) and F (the probe's report, empty when it did not run) and LOG.
probe() {
	local name=$1 opts=() id
	shift
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
	shift
	mkdir -p "$CT_RES/$name" && chmod 1777 "$CT_RES/$name"
	F="$CT_RES/$name/probe" RC="" LOG=""
	id=$(ct_run "$name" "${opts[@]}" --entrypoint /usher -- "$@" -- /t/ct-probe "/results/$name" status probe) ||
		{ RC="podman run failed: $(cat "$CT_TMP/$CT_PREFIX-$name.run-err")"; return; }
	RC=$(ct_wait "$id")
	LOG=$(podman logs "$id" 2>&1)
}
line() { sed -n "s/^$2:[[:space:]]*//p" "$1" 2>/dev/null | tr -s '\t ' ' ' | sed 's/ $//'; }
# expect_ran NAME — RC 0 and a report; otherwise says what usher printed.
expect_ran() {
	if [ "$RC" = 0 ] && [ -s "$F" ]; then
		ok 0 "$1: usher started the workload (exit 0)"
	else
		ok 1 "$1: usher started the workload (exit 0)"
		diag "exit status: $RC; output:"
		printf '%s\n' "$LOG" | while IFS= read -r l; do diag "  $l"; done
	fi
}
reopen() { sed -n "s|^reopen $2=||p" "$1" 2>/dev/null; }

# --- the engine's own sandbox alone: runAsUser without usher's --user -------------------------
probe engine-user --user 65532:65532 --cap-drop ALL --
expect_ran "engine --user 65532:65532 --cap-drop ALL, usher without --user"
is "$(line "$F" Uid)" "65532 65532 65532 65532" "engine --user: the workload runs as 65532"
is "$(line "$F" CapEff)" 0000000000000000 "engine --cap-drop ALL: no effective capabilities"
# runc gives the stdio pipes to the engine's user: the workload can reopen them (the control
# for the usher --user cases below).
is "$(reopen "$F" /dev/stdout) $(reopen "$F" /dev/stderr)" "ok ok" "engine --user: the workload can reopen /dev/stdout and /dev/stderr"

# --- issue 9 item 1: the engine already is the user; usher --user names the same one ---------
probe same-user --user 65532:65532 --cap-drop ALL -- --user nonroot
expect_ran "engine --user 65532:65532 --cap-drop ALL + usher --user nonroot (the same user)"
is "$(line "$F" Uid)" "65532 65532 65532 65532" "same user: the workload runs as 65532"
is "$(line "$F" Gid)" "65532 65532 65532 65532" "same user: gid 65532"
probe same-user-nogroups --user 65532:65532 --cap-drop ALL -- --user nonroot --init-groups no
expect_ran "engine --user 65532:65532 --cap-drop ALL + usher --user nonroot --init-groups no"

# The engine's user, and usher asked for another: it cannot, and says so.
probe other-user --user 65532:65532 --cap-drop ALL -- --user 4242:4242
is "$RC" 125 "engine --user 65532:65532 --cap-drop ALL + usher --user 4242:4242 (another uid): exit 125"
like "$LOG" "^usher: .*(4242|Operation not permitted)" "other-user: one line saying why"
is "$(cat "$F" 2>/dev/null)" "" "other-user: the workload did not run"

# --- issue 9 item 2: a bare FROM scratch image and numeric ids: podman writes /etc/passwd ----
ct_bare_image
CT_RUN_IMAGE=$CT_BARE probe numeric --user 1000:1000 --cap-drop ALL -- --user 1000:1000
expect_ran "bare scratch image, engine --user 1000:1000 --cap-drop ALL + usher --user 1000:1000 (numeric; no readable /etc/passwd)"
is "$(line "$F" Uid)" "1000 1000 1000 1000" "numeric: the workload runs as 1000"
is "$(line "$F" Gid)" "1000 1000 1000 1000" "numeric: gid 1000"
# runAsUser alone (no --cap-drop ALL): the engine's bounding set is left to a non-root usher
# with nothing permitted (no_new_privs: nothing can use it).
CT_RUN_IMAGE=$CT_BARE probe runasuser-only --user 1000:1000 -- --user 1000:1000
expect_ran "bare scratch image, engine --user 1000:1000 (runAsUser alone) + usher --user 1000:1000"
is "$(line "$F" CapEff)" 0000000000000000 "runasuser-only: no effective capabilities"
is "$(line "$F" NoNewPrivs)" 1 "runasuser-only: no_new_privs is set"
# The same ids as the passwd-less image, the engine as root: usher switches itself.
CT_RUN_IMAGE=$CT_BARE probe numeric-root -- --user 1000:1000
expect_ran "bare scratch image, engine as root + usher --user 1000:1000"
is "$(line "$F" Uid)" "1000 1000 1000 1000" "numeric-root: the workload runs as 1000"
CT_RUN_IMAGE=$CT_BARE probe name-no-passwd -- --user nonroot
is "$RC" 125 "bare scratch image + usher --user nonroot (a name, no /etc/passwd): exit 125"
like "$LOG" "^usher: .*(passwd|nonroot)" "name-no-passwd: one line naming the passwd file or the user"

# --- issue 9 item 3: usher switches user; the workload reopens its stdio ---------------------
probe usher-user -- --user nonroot
expect_ran "engine as root + usher --user nonroot"
is "$(line "$F" Uid)" "65532 65532 65532 65532" "usher --user nonroot: the workload runs as 65532"
is "$(line "$F" CapEff)" 0000000000000000 "usher --user nonroot: no effective capabilities"
is "$(reopen "$F" /dev/stdout) $(reopen "$F" /dev/stderr)" "ok ok" "usher --user nonroot: the workload can reopen /dev/stdout and /dev/stderr (as nginx's access_log /dev/stdout)"
is "$(reopen "$F" /proc/self/fd/1) $(reopen "$F" /proc/self/fd/2)" "ok ok" "usher --user nonroot: the workload can reopen /proc/self/fd/1 and 2 (as php-fpm's error_log)"

# --- usher's seccomp filter on top of the engine's ---------------------------------------------
probe seccomp -- --user nonroot --seccomp default
expect_ran "engine's seccomp profile + usher --seccomp default"
is "$(line "$F" Seccomp)" 2 "seccomp: filter mode"
is "$(line "$F" Seccomp_filters)" 2 "seccomp: two filters, the engine's and usher's"
is "$(line "$F" NoNewPrivs)" 1 "seccomp: no_new_privs is set"
probe seccomp-unconfined --security-opt seccomp=unconfined -- --user nonroot --seccomp default
expect_ran "engine --security-opt seccomp=unconfined + usher --seccomp default"
is "$(line "$F" Seccomp_filters)" 1 "seccomp unconfined engine: usher's filter is the only one"
probe engine-seccomp-only --
is "$(line "$F" Seccomp_filters)" 1 "engine's profile alone: one filter (the control for the counts above)"

# --- --read-only: usher writes nothing, so a read-only root filesystem changes nothing --------
probe read-only --read-only -- --user nonroot --seccomp default
expect_ran "engine --read-only + usher --user nonroot --seccomp default"
is "$(line "$F" Uid)" "65532 65532 65532 65532" "read-only: the workload runs as 65532"

# --- runAsUser + usher's whole sandbox, the Kubernetes restricted profile's shape -------------
probe restricted --user 65532:65532 --cap-drop ALL --read-only --security-opt no-new-privileges -- --user nonroot --seccomp default
expect_ran "engine --user 65532 --cap-drop ALL --read-only no-new-privileges + usher --user nonroot --seccomp default"
is "$(line "$F" Seccomp_filters)" 2 "restricted: usher's filter loads without privileges (no_new_privs)"

# --- --cap-drop ALL as root: usher cannot switch user, and says so ------------------------------
probe capdrop-root --cap-drop ALL -- --user nonroot
is "$RC" 125 "engine --cap-drop ALL (root, no capabilities) + usher --user nonroot: exit 125"
like "$LOG" "^usher: .*(Operation not permitted|capabilit|CAP_SET)" "capdrop-root: one line saying why"
is "$(cat "$F" 2>/dev/null)" "" "capdrop-root: the workload did not run"

# --- keeping a capability across the switch within the engine's bounding set ------------------
probe keep-cap -- --user nonroot --cap-keep NET_BIND_SERVICE
expect_ran "usher --user nonroot --cap-keep NET_BIND_SERVICE"
is "$(line "$F" CapEff)" 0000000000000400 "keep-cap: only CAP_NET_BIND_SERVICE is effective"
probe keep-dropped --cap-drop NET_BIND_SERVICE -- --user nonroot --cap-keep NET_BIND_SERVICE
is "$RC" 125 "engine --cap-drop NET_BIND_SERVICE + usher --cap-keep NET_BIND_SERVICE: exit 125 (fail closed)"
like "$LOG" "^usher: .*NET_BIND_SERVICE" "keep-dropped: the message names the capability"

done_testing
