#!/usr/bin/env bash
# tests/sandbox/sandbox-stdio.t — after --user, the workload can reopen the stdio pipes it was
# handed (nginx's access_log /dev/stdout), as runc arranges; ttys and files are left alone.
. "$SOURCE_ROOT/tests/lib/tap.sh"
. "$SOURCE_ROOT/tests/sandbox/sandbox-lib.sh"

chmod 1777 "$T"
# The pipes below are made by this root shell: mode 0600, owner root, as runc hands them over.
out=$(in_image "${USHER_CLEAN[@]}" --user alice -- sh -c 'echo via-proc >/proc/self/fd/1' 2>"$T/stderr")
is "$?" 0 "--user alice: reopening /proc/self/fd/1 (a root 0600 pipe) works" || diag "$(cat "$T/stderr")"
is "$out" "via-proc" "--user alice: what was written there arrives"

out=$(in_image "${USHER_CLEAN[@]}" --user alice -- sh -c 'echo via-dev >/dev/stdout && stat -L -c %u:%g /proc/self/fd/1' 2>"$T/stderr")
is "$?" 0 "--user alice: reopening /dev/stdout works" || diag "$(cat "$T/stderr")"
is "$out" "via-dev
1000:0" "the pipe now belongs to uid 1000; its group is left alone (as runc)"

err=$(in_image "${USHER_CLEAN[@]}" --user 1000 -- sh -c 'echo to-stderr >/dev/stderr' 2>&1 >/dev/null)
is "$err" "to-stderr" "--user 1000: reopening /dev/stderr (a pipe) works"

out=$(echo from-stdin | in_image "${USHER_CLEAN[@]}" --user 1000 -- sh -c 'cat /proc/self/fd/0' 2>"$T/stderr")
is "$out" "from-stdin" "--user 1000: reopening stdin (a pipe) works" || diag "$(cat "$T/stderr")"

# Without a user switch nothing is given away.
out=$(in_image "${USHER_CLEAN[@]}" --cap-drop ALL -- sh -c 'stat -L -c %u /proc/self/fd/1' 2>&1)
is "$out" "0" "no user switch: the pipe stays root's"

# A regular file someone else owns is never chowned: the workload cannot reopen it.
touch "$T/root-file" && chmod 0600 "$T/root-file"
in_image "${USHER_CLEAN[@]}" --user alice -- sh -c 'echo x >/proc/self/fd/1' >>"$T/root-file" 2>"$T/stderr"
isnt "$?" 0 "stdout a root 0600 file: reopening it still fails"
is "$(stat -c %u:%a "$T/root-file")" "0:600" "stdout a root 0600 file: owner and mode untouched"

# /dev/null (a character device) likewise.
in_image "${USHER_CLEAN[@]}" --user alice -- true </dev/null >/dev/null 2>&1
is "$(stat -c %u /dev/null)" "0" "/dev/null as stdio: untouched"

# A terminal is never chowned (runc gives the console away only when it made it).
if command -v script >/dev/null; then
	script -qec "$USHER --user 4242 -- sh -c 'stat -L -c %u /proc/self/fd/0'" /dev/null </dev/null >"$T/tty-out" 2>&1
	tty_owner=$(tr -d '\r' <"$T/tty-out" | tail -1)
	is "$tty_owner" "0" "stdin a terminal: its owner stays root"
else
	skip "script(1) missing: terminal case not run"
fi

done_testing
