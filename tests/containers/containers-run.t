#!/usr/bin/env bash
# tests/containers/containers-run.t — the image Dockerfile.example builds, run by podman: usher
# is PID 1, podman stop / podman kill reach the workload, exit codes come back through podman wait.
#
# Also: orphans reaped inside the container, `podman run --init --init-path` with usher as
# the engine's init, and a missing program (127). Workloads: tests/oci/oci-workload.c and
# ct-probe.c, static, mounted at /t. See docs/containers.md.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"
. "$SOURCE_ROOT/tests/containers/ct-lib.sh"

ct_requirements
ct_setup
ct_image
diag "image: $CT_IMAGE — $CT_VARIANT"

# case_dir NAME — a results dir of its own for each case, writable by any user.
case_dir() { mkdir -p "$CT_RES/$1" && chmod 1777 "$CT_RES/$1"; }
has() { [ -s "$1" ]; }

# oci_case NAME EXPECT STOP MODE [PODMAN-OPTS...] — oci-workload under usher (the image's
# ENTRYPOINT): checks PID 1, the parent, the reaped orphan; stops it with STOP (a podman
# command: "stop" or "kill -s TERM"); checks the status podman wait reports.
oci_case() {
	local name=$1 expect=$2 stop=$3 mode=$4 token="$CT_PREFIX-$1-token" id r="$CT_RES/$1"
	shift 4
	case_dir "$name"
	id=$(ct_run "$name" "$@" -- /t/oci-workload "/results/$name" "$mode" "$token") ||
		{ ok 1 "$name: podman run"; diag "$(cat "$CT_TMP/$CT_PREFIX-$name.run-err")"; return 1; }
	if ! wait_for 60 has "$r/ready"; then
		ok 1 "$name: the workload reports ready"
		ct_logs "$id"
		return 1
	fi
	ok 0 "$name: the workload reports ready ($(cat "$r/ready"))"
	is "$(ct_field "$r/ready" pid1)" usher "$name: PID 1 in the container is usher"
	is "$(ct_field "$r/ready" ppid)" 1 "$name: the workload's parent is PID 1"
	if wait_for 60 grep -qx gone "$r/orphan"; then
		ok 0 "$name: the orphaned grandchild was reaped by PID 1"
	else
		ok 1 "$name: the orphaned grandchild was reaped by PID 1"
		diag "orphan: $(cat "$r/orphan" 2>&1)"
	fi
	# shellcheck disable=SC2086
	podman $stop "$id" >/dev/null 2>"$CT_TMP/$name.stop-err"
	ok $? "$name: podman $stop"
	wait_for 60 has "$r/term"
	is "$(ct_field "$r/term" from)" 1 "$name: the workload got SIGTERM from usher (PID 1), not from the engine"
	is "$(ct_wait "$id")" "$expect" "$name: podman wait reports $expect"
	if wait_for 30 has "$r/sleeper-term"; then
		ok 0 "$name: usher stopped the orphan left behind ($(cat "$r/sleeper-term"))"
	else
		ok 1 "$name: usher stopped the orphan left behind"
		ct_logs "$id"
	fi
}

# --- 0. control: the workload itself as PID 1 (no usher): the same checks see what fails ----
name=control
case_dir "$name"
if id=$(ct_run "$name" --entrypoint /t/oci-workload -- "/results/$name" exit:42 "$CT_PREFIX-control-token") &&
	wait_for 60 has "$CT_RES/$name/ready"; then
	r="$CT_RES/$name"
	is "$(ct_field "$r/ready" pid)" 1 "control: without usher the workload is PID 1"
	wait_for 60 grep -qx zombie "$r/orphan"
	is "$(cat "$r/orphan" 2>&1)" zombie "control: without usher the orphan stays a zombie"
	podman stop "$id" >/dev/null
	wait_for 60 has "$r/term"
	is "$(ct_field "$r/term" from)" 0 "control: SIGTERM came from outside the container (sender 0)"
	is "$(ct_wait "$id")" 42 "control: podman wait reports 42"
else
	ok 1 "control: the workload as PID 1 started"
fi

# --- 1. podman stop: SIGTERM to PID 1, forwarded; the workload's exit code comes back --------
oci_case stop 42 stop exit:42
# --- 2. the workload dies of the forwarded SIGTERM: 128+15 ------------------------------------
oci_case die 143 stop die
# --- 3. podman kill -s TERM (no grace period: only the signal) --------------------------------
oci_case kill-term 0 "kill -s TERM" exit:0

# --- 4. podman kill -s SIG: other signals are forwarded too; the exit code is 100+N ----------
for sig in USR1:10 HUP:1 WINCH:28; do
	name=kill-${sig%%:*} n=${sig#*:}
	case_dir "$name"
	if id=$(ct_run "$name" -- /t/ct-probe "/results/$name" signal probe) && wait_for 60 has "$CT_RES/$name/probe.ready"; then
		podman kill -s "${sig%%:*}" "$id" >/dev/null
		ok $? "$name: podman kill -s ${sig%%:*}"
		wait_for 60 has "$CT_RES/$name/probe"
		is "$(cat "$CT_RES/$name/probe" 2>/dev/null)" "signal=$n from=1" "$name: the workload got signal $n from usher (PID 1)"
		is "$(ct_wait "$id")" $((100 + n)) "$name: podman wait reports the workload's 100+$n"
	else
		ok 1 "$name: the workload started"
		[ -n "${id:-}" ] && ct_logs "$id"
	fi
done

# --- 5. podman run --init --init-path: usher as the engine's init -------------------------------
# The image's ENTRYPOINT is replaced by the workload; podman bind-mounts usher at
# /run/podman-init and makes it PID 1. The host sees the same file (inode) as PID 1's exe.
name=init
case_dir "$name"
if id=$(ct_run "$name" --init --init-path "$CT_BIN/usher" --entrypoint /t/oci-workload -- "/results/$name" exit:7 "$CT_PREFIX-init-token") &&
	wait_for 60 has "$CT_RES/$name/ready"; then
	r="$CT_RES/$name"
	ok 0 "init: the workload reports ready ($(cat "$r/ready"))"
	is "$(ct_field "$r/ready" pid1)" podman-init "init: PID 1 is /run/podman-init"
	host_pid=$(podman inspect -f '{{.State.Pid}}' "$id")
	is "$(stat -L -c %d:%i "/proc/$host_pid/exe" 2>&1)" "$(stat -c %d:%i "$CT_BIN/usher")" \
		"init: PID 1's program is the usher given to --init-path (same inode)"
	is "$(ct_field "$r/ready" ppid)" 1 "init: the workload's parent is PID 1"
	wait_for 60 grep -qx gone "$r/orphan"
	is "$(cat "$r/orphan" 2>&1)" gone "init: the orphaned grandchild was reaped"
	podman stop "$id" >/dev/null
	wait_for 60 has "$r/term"
	is "$(ct_field "$r/term" from)" 1 "init: podman stop's SIGTERM was forwarded by usher"
	is "$(ct_wait "$id")" 7 "init: podman wait reports the workload's 7"
else
	ok 1 "init: podman run --init --init-path $CT_BIN/usher"
	diag "$(cat "$CT_TMP/$CT_PREFIX-$name.run-err" 2>/dev/null)"
	[ -n "${id:-}" ] && ct_logs "$id"
fi

# --- 6. a program that is not in the image: 127, named in usher's one line -------------------
if id=$(ct_run notfound -- /no-such-program); then
	is "$(ct_wait "$id")" 127 "notfound: podman wait reports 127"
	like "$(podman logs "$id" 2>&1)" "usher: .*no-such-program" "notfound: usher's message names the program"
else
	ok 1 "notfound: podman run"
fi

done_testing
