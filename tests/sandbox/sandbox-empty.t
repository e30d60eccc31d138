#!/usr/bin/env bash
# tests/sandbox/sandbox-empty.t — one rule for every sandbox option: an empty value is the
# empty set or an error, never "everything" (issue 8 item 4: --cap-keep "" kept every capability).
. "$SOURCE_ROOT/tests/lib/tap.sh"
. "$SOURCE_ROOT/tests/sandbox/sandbox-lib.sh"

chmod 1777 "$T"
ZERO=0000000000000000

# --- the empty set ----------------------------------------------------------------------------
# caps_empty WHAT USHER-ARGS... — root workload, every capability set empty.
caps_empty() {
	local what=$1
	shift
	out=$(report "$@")
	is "$(cat "$T/rc")" 0 "$what: runs" || diag "$(cat "$T/stderr")"
	for set in CapEff CapPrm CapInh CapBnd CapAmb; do
		is "$(field $set <<<"$out")" "$ZERO" "$what: $set empty"
	done
}
caps_empty '--cap-keep ""' --cap-keep ""
caps_empty '--cap-keep ","' --cap-keep ","
caps_empty '--cap-keep CHOWN --cap-keep "" (reset to nothing)' --cap-keep CHOWN --cap-keep ""
printf '[Service]\nKeepCapabilities=\n' >"$T/keep.conf"
caps_empty 'KeepCapabilities= (empty)' --config "$T/keep.conf"
out=$(in_image env -i USHER_CAP_KEEP= "$USHER" -- "$PROGS/status-report" 2>"$T/stderr")
is "$(field CapBnd <<<"$out")" "$ZERO" 'USHER_CAP_KEEP= (empty): bounding set empty'

# --groups "": the supplementary groups are exactly none, not whatever usher had.
out=$(in_image setpriv --groups 29,44 "${USHER_CLEAN[@]}" --groups "" -- "$PROGS/status-report" 2>"$T/stderr")
is "$(field Groups <<<"$out")" "" '--groups "" (usher has 29,44): no supplementary groups'
printf '[Service]\nSupplementaryGroups=\n' >"$T/groups.conf"
out=$(in_image setpriv --groups 29,44 "${USHER_CLEAN[@]}" --config "$T/groups.conf" -- "$PROGS/status-report" 2>"$T/stderr")
is "$(field Groups <<<"$out")" "" 'SupplementaryGroups= (empty): no supplementary groups'
out=$(report --user alice --groups video --groups "")
is "$(field Groups <<<"$out")" "29 50 1000" '--user alice --groups video --groups "": the list reset, initgroups kept'
out=$(report --user alice --init-groups no --groups video --groups "")
is "$(field Groups <<<"$out")" "" '--init-groups no --groups video --groups "": no groups'

# --- an error -----------------------------------------------------------------------------------
# refused WHAT PATTERN USHER-ARGS... — exit 125, PATTERN on stderr, the workload never ran.
refused() {
	local what=$1 pattern=$2
	shift 2
	rm -f "$T/marker"
	in_image "${USHER_CLEAN[@]}" "$@" -- "$PROGS/write-marker" "$T/marker" >"$T/out" 2>"$T/stderr"
	is "$?" 125 "$what: exit 125"
	like "$(cat "$T/stderr")" "$pattern" "$what: says why"
	ok "$([ ! -e "$T/marker" ]; echo $?)" "$what: workload never ran"
}
refused '--cap-drop ""' '^usher: --cap-drop: empty value: name the capabilities to drop, or ALL$' --cap-drop ""
refused '--cap-drop ","' '^usher: --cap-drop: empty value' --cap-drop ","
printf '[Service]\nDropCapabilities=\n' >"$T/drop.conf"
refused 'DropCapabilities= (empty)' "^usher: $T/drop.conf:2: empty value" --config "$T/drop.conf"
refused '--user ""' "^usher: --user: expected USER" --user ""
refused '--group ""' "^usher: --group: '' is not a group name or number$" --group ""
refused '--init-groups ""' "^usher: --init-groups: expected yes or no, got ''$" --init-groups ""
printf '[Service]\nNoNewPrivileges=\n' >"$T/nnp.conf"
refused 'NoNewPrivileges= (empty)' "^usher: $T/nnp.conf:2: expected yes or no" --config "$T/nnp.conf"
refused '--seccomp ""' "^usher: --seccomp: empty value" --seccomp ""
refused '--seccomp-arches ""' "^usher: --seccomp-arches: empty value" --seccomp default --seccomp-arches ""
refused '--rlimit ""' "^usher: --rlimit: expected NAME=VALUE" --rlimit ""
refused '--rlimit nofile=' "^usher: --rlimit: expected VALUE or SOFT:HARD" --rlimit nofile=
printf '[Service]\nLimitNOFILE=\n' >"$T/limit.conf"
refused 'LimitNOFILE= (empty)' "^usher: $T/limit.conf:2: expected VALUE or SOFT:HARD" --config "$T/limit.conf"
refused '--umask ""' "^usher: --umask: expected an octal mode" --umask ""

done_testing
