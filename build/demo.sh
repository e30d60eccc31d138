#!/usr/bin/env bash
# build/demo.sh [USHER] — a short demo of usher as PID 1 of a new PID namespace: the child's
# exit code comes back out, and orphans adopted by PID 1 are reaped. Default: _build/usher.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
usher=${1:-$top/_build/usher}
[ -x "$usher" ] || die "demo: $usher not built: run build/compile.sh release"
command -v unshare >/dev/null 2>&1 || die "demo: unshare not found (package util-linux): run build/setup.sh"

# A new PID namespace needs root, or a user namespace where we are root.
ns=(unshare --pid --fork --mount-proc)
[ "$(id -u)" -eq 0 ] || ns=(unshare --user --map-root-user --pid --fork --mount-proc)
"${ns[@]}" true 2>/dev/null || die "demo: '${ns[*]}' does not work here (no namespaces in this container?)"

step() { printf '\n== %s\n$ %s\n' "$1" "$2"; }

# 1. Exit code: sh leaves an orphan behind and exits 3; usher (PID 1) must exit 3 too.
step "usher runs sh as its child; sh starts an orphan (sleep 0.2) and exits 3" \
	"${ns[*]} usher -v -- sh -c '(sleep 0.2 &) ; exit 3'"
rc=0
"${ns[@]}" "$usher" -v -- sh -c '(sleep 0.2 &) ; exit 3' 2>&1 || rc=$?
printf -- '-> usher exited %d: ' "$rc"
if [ "$rc" -eq 3 ]; then
	echo "the child's exit code is propagated"
else
	die "demo: expected exit code 3, got $rc"
fi

# 2. Reaping: the orphan's parent is gone, so the kernel hands it to PID 1 (usher). When it
# exits, usher must reap it, or it stays a zombie (<defunct>, state Z) in the process table.
step "the orphan (sleep 0.2) exits while sh still runs; ps shows whether PID 1 reaped it" \
	"${ns[*]} usher -v -w -- sh -c '(sleep 0.2 &) ; sleep 1 ; ps -o pid,ppid,stat,args'"
out=$("${ns[@]}" "$usher" -v -w -- sh -c '(sleep 0.2 &) ; sleep 1 ; ps -o pid,ppid,stat,args' 2>&1) \
	|| die "demo: usher failed: $out"
printf '%s\n' "$out"
if printf '%s\n' "$out" | awk '$3 ~ /^Z/ { found = 1 } END { exit !found }'; then
	die "demo: a zombie is left in the process table: PID 1 did not reap the orphan"
fi
echo "-> no zombie (state Z) in the process table: usher, as PID 1, reaped the orphan"

echo
echo "usher demo: done ($usher, $(stat -c %s "$usher") bytes)"
