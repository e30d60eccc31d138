#!/usr/bin/env bash
# tests/sandbox/sandbox-ids.t — --user/--group/--groups and their config keys: uid, gid and
# supplementary groups from the image's passwd/group, HOME, read by the workload itself.
. "$SOURCE_ROOT/tests/lib/tap.sh"
. "$SOURCE_ROOT/tests/sandbox/sandbox-lib.sh"

out=$(report --user alice)
is "$(cat "$T/rc")" 0 "--user alice: workload runs"
is "$(field Uid <<<"$out")" "1000 1000 1000 1000" "--user alice: real/effective/saved/fs uid 1000"
is "$(field Gid <<<"$out")" "1000 1000 1000 1000" "--user alice: gid 1000 from passwd"
is "$(field Groups <<<"$out")" "29 50 1000" "--user alice: groups from /etc/group (initgroups)"
is "$(field HOME <<<"$out")" "/home/alice" "--user alice: HOME from passwd when unset"

out=$(report --user alice:video)
is "$(field Gid <<<"$out")" "44 44 44 44" "--user alice:video: primary group by name"
is "$(field Groups <<<"$out")" "29 44 50" "--user alice:video: memberships plus the primary group"

out=$(report --user 1001)
is "$(field Uid <<<"$out")" "1001 1001 1001 1001" "--user 1001: numeric uid"
is "$(field Groups <<<"$out")" "29 44 1001" "--user 1001: its passwd entry gives its groups"
is "$(field HOME <<<"$out")" "/srv/bob" "--user 1001: HOME of its passwd entry"

out=$(report --user 4242)
is "$(cat "$T/rc")" 0 "--user 4242 (no passwd entry): workload runs"
is "$(field Uid <<<"$out")" "4242 4242 4242 4242" "--user 4242: uid"
is "$(field Gid <<<"$out")" "4242 4242 4242 4242" "--user 4242: gid is the same number, not root's"
is "$(field Groups <<<"$out")" "4242" "--user 4242: only its own group, as initgroups gives"
is "$(field HOME <<<"$out")" "/" "--user 4242: HOME=/"

out=$(report --user 1002:7)
is "$(field Gid <<<"$out")" "7 7 7 7" "--user 1002:7: numeric group"
is "$(field HOME <<<"$out")" "/" "--user nohome: empty home field gives HOME=/"

out=$(report --user alice --init-groups no --groups staff,7 --groups 9)
is "$(field Groups <<<"$out")" "7 9 50" "--init-groups no --groups: exactly the listed groups"

out=$(in_image env -i HOME=/root "$USHER" --user alice -- "$PROGS/status-report")
is "$(field HOME <<<"$out")" "/home/alice" "usher's own HOME (/root) follows the user switch"
out=$(in_image env -i HOME=/root "$USHER" --env HOME=/keep --user alice -- "$PROGS/status-report")
is "$(field HOME <<<"$out")" "/keep" "a HOME the credentials set on purpose is left alone"

out=$(report --group audio)
is "$(field Uid <<<"$out")" "0 0 0 0" "--group alone: uid unchanged"
is "$(field Gid <<<"$out")" "29 29 29 29" "--group alone: gid switched"

cat >"$T/usher.conf" <<'CONF'
[Service]
User=bob
Group=audio
SupplementaryGroups=staff
SupplementaryGroups=7
CONF
out=$(report --config "$T/usher.conf")
is "$(cat "$T/rc")" 0 "config file User=/Group=/SupplementaryGroups=: workload runs"
is "$(field Uid <<<"$out")" "1001 1001 1001 1001" "User=bob"
is "$(field Gid <<<"$out")" "29 29 29 29" "Group=audio"
is "$(field Groups <<<"$out")" "7 29 44 50" "SupplementaryGroups= adds to bob's own groups"

out=$(in_image_pid1 "${USHER_CLEAN[@]}" --user alice -- "$PROGS/status-report")
is "$(field Uid <<<"$out")" "1000 1000 1000 1000" "as PID 1: --user alice"
is "$(field Groups <<<"$out")" "29 50 1000" "as PID 1: groups"

done_testing
