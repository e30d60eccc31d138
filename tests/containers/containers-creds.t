#!/usr/bin/env bash
# tests/containers/containers-creds.t — usher's credentials inside a podman container: a
# Nomad-style env file (as a Vault template renders it), a secrets dir, and a login helper
# from the config file, run before the workload, fed the password over stdin, output masked.
#
# The secrets are files on the host mounted read-only at /secrets (root-only, mode 0600, as
# Nomad writes them); usher reads them as root, then drops to nonroot for the workload.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"
. "$SOURCE_ROOT/tests/containers/ct-lib.sh"

ct_requirements
ct_setup
ct_image
diag "image: $CT_IMAGE — $CT_VARIANT"

password='s3cr#t "pw" with spaces'
sec="$CT_TMP/secrets"
mkdir -p "$sec/dir" && {
	# Nomad's template { env = false } output: quoted with toJSON, a comment, export.
	printf '%s\n' '# rendered by Vault template' 'DB_USER=app' "DB_PASSWORD=\"s3cr#t \\\"pw\\\" with spaces\"" \
		'export DB_HOST=db.internal # the primary' >"$sec/app.env"
	printf 'tok-123' >"$sec/dir/API_TOKEN"
	cat >"$sec/usher.conf" <<-'EOF'
		# The workload's sandbox and a login helper that gets the password on stdin.
		[Service]
		User=nonroot
		[Login registry]
		ExecStart=/t/login-echo --env DB_USER --lines arg-${DB_HOST}
		StandardInputText=${DB_PASSWORD}
		TimeoutSec=30s
	EOF
	chmod 0600 "$sec/app.env" "$sec/dir/API_TOKEN" "$sec/usher.conf"
}
ok $? "secrets on the host: a Nomad env file, a secrets dir and usher.conf (mode 0600, root's)"

mkdir -p "$CT_RES/creds" && chmod 1777 "$CT_RES/creds"
id=$(ct_run creds -v "$sec:/secrets:ro" --entrypoint /usher -- \
	--env-file nomad:/secrets/app.env --env-dir /secrets/dir --config /secrets/usher.conf -- \
	/t/ct-probe /results/creds status probe DB_USER DB_PASSWORD DB_HOST API_TOKEN) ||
	{ ok 1 "podman run"; diag "$(cat "$CT_TMP/$CT_PREFIX-creds.run-err")"; done_testing; exit 1; }
rc=$(ct_wait "$id")
log=$(podman logs "$id" 2>&1)
is "$rc" 0 "usher loaded the secrets, ran the login helper and the workload: exit 0"
[ "$rc" = 0 ] || printf '%s\n' "$log" | while IFS= read -r l; do diag "  $l"; done
F="$CT_RES/creds/probe"
is "$(sed -n 's/^env DB_USER=//p' "$F")" app "the workload sees DB_USER from the Nomad env file"
is "$(sed -n 's/^env DB_PASSWORD=//p' "$F")" "$password" "the workload sees DB_PASSWORD, JSON-quoted in the file, unquoted"
is "$(sed -n 's/^env DB_HOST=//p' "$F")" db.internal "export prefix and trailing comment handled as Nomad does"
is "$(sed -n 's/^env API_TOKEN=//p' "$F")" tok-123 "the workload sees API_TOKEN from the secrets dir"
like "$(sed -n 's/^Uid:[[:space:]]*//p' "$F")" "^65532" "the workload runs as nonroot (User= in the config file)"
# The helper ran in the container, before the workload, with the env file's variables.
like "$log" "env DB_USER: app" "the login helper saw DB_USER"
# An env file's values are secrets: the expanded argument shows masked, not as "${DB_HOST}".
like "$log" "arg: arg-\*\*\*\$" "the login helper's argv was expanded (\${DB_HOST}) and its value masked in the output"
like "$log" "stdin: " "the login helper read a line on stdin (StandardInputText=)"
unlike "$log" "s3cr#t" "the password is in no output line: masked"

# A running container: the host looks at PID 1's environ and cmdline for the password.
mkdir -p "$CT_RES/running" && chmod 1777 "$CT_RES/running"
id=$(ct_run running -v "$sec:/secrets:ro" --entrypoint /usher -- \
	--env-file nomad:/secrets/app.env --config /secrets/usher.conf -- /t/ct-probe /results/running signal probe)
if [ -n "$id" ] && wait_for 60 test -s "$CT_RES/running/probe.ready"; then
	pid1=$(podman inspect -f '{{.State.Pid}}' "$id")
	workload=$(sed -n 's/^pid=//p' "$CT_RES/running/probe.ready")
	is "$(tr '\0' '\n' <"/proc/$pid1/comm")" usher "running: the host sees usher as the container's PID 1 (host pid $pid1)"
	unlike "$(tr '\0' '\n' <"/proc/$pid1/environ"; tr '\0' ' ' <"/proc/$pid1/cmdline")" "s3cr#t" \
		"running: the password is not in usher's /proc/1/environ or cmdline"
	wl_host=$(grep -l "^NSpid:.*[[:space:]]$workload\$" /proc/[0-9]*/status 2>/dev/null | while read -r f; do
		p=${f#/proc/}; p=${p%/status}; [ "$(cat "/proc/$p/comm")" = ct-probe ] && echo "$p"; done | head -n 1)
	like "$(tr '\0' '\n' <"/proc/$wl_host/environ" 2>/dev/null)" "^DB_PASSWORD=s3cr#t" "running: the workload (host pid $wl_host) has DB_PASSWORD in its environment"
	podman stop "$id" >/dev/null
	is "$(ct_wait "$id")" 115 "running: podman stop → SIGTERM forwarded → the workload's 100+15"
else
	ok 1 "running: the workload started"
	[ -n "${id:-}" ] && ct_logs "$id"
fi

done_testing
