#!/usr/bin/env bash
# tests/creds/config.t — the creds keys of [Service] in usher's config file: each one works, and
# a bad value is exit 125 with "usher: FILE:LINE: why"; the USHER_* variables work too.
. "$SOURCE_ROOT/tests/lib/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
umask 077

mkdir "$tmp/dir"; printf 'from-dir\n' > "$tmp/dir/DIR_VAR"
printf 'pw\n' > "$tmp/pw"
printf 'FILE_VAR=from-file\n' > "$tmp/app.env"
cat > "$tmp/good.conf" <<X
[Service]
# every creds key once
WaitFor=$tmp/app.env
WaitTimeoutSec=30s
EnvironmentFile=nomad:$tmp/app.env
EnvironmentDirectory=$tmp/dir
Environment=PW_FILE=$tmp/pw 'SPACED=a b'
VarFiles=PW
UnsetEnvironment=DROPPED
ReloadSignal=SIGUSR2
OnReload=restart
RestartOnChange=no
X
out=$(env -i DROPPED=1 "$USHER" --config "$tmp/good.conf" -- /usr/bin/env 2>"$tmp/err" | sort)
is "$out" "$(printf 'DIR_VAR=from-dir\nFILE_VAR=from-file\nPW=pw\nSPACED=a b')" "every key applies"
is "$(cat "$tmp/err")" "" "... without a message"

bad() { # LINE DESCRIPTION EXPECTED-REASON
	printf '[Service]\n%s\n' "$1" > "$tmp/bad.conf"
	env -i "$USHER" --config "$tmp/bad.conf" -- /bin/true 2>"$tmp/err"
	local rc=$?
	is "$rc:$(cat "$tmp/err")" "125:usher: $tmp/bad.conf:2: $3" "$2"
}
bad "EnvironmentFile=dotenv:$tmp/app.env" "EnvironmentFile= with an unknown format" 'unknown format "dotenv" (nomad or docker)'
bad "EnvironmentFile=" "EnvironmentFile= empty" 'missing path'
bad "Environment=1BAD=x" "Environment= with a bad name" 'expected KEY=VALUE with KEY [A-Za-z_][A-Za-z0-9_./]*'
bad "Environment=\"A=unterminated" "Environment= with an open quote" 'unmatched "'
bad "UnsetEnvironment=A=B" "UnsetEnvironment= with a bad name" 'not a variable name'
bad "VarFiles=a-b" "VarFiles= with a bad name" 'expected all, none or NAME[,NAME...]'
bad "WaitTimeoutSec=forever" "WaitTimeoutSec= not a duration" "'forever' is not a duration (e.g. 10s, 500ms, 2m; at most 576h)"
bad "ReloadSignal=SIGKILL" "ReloadSignal= that cannot be caught" 'not a reload signal (e.g. HUP, USR1, USR2; TERM and INT mean stop, and KILL, STOP and CHLD cannot be used)'
bad "OnReload=reload" "OnReload= not forward/restart" 'expected forward or restart'
bad "RestartOnChange=maybe" "RestartOnChange= not a boolean" 'expected yes or no'

out=$(env -i USHER_ENV_FILE="docker:$tmp/app.env" "$USHER" -- /usr/bin/env 2>"$tmp/err")
echo "$out" | grep -qx 'FILE_VAR=from-file'; ok $? "USHER_ENV_FILE works as --env-file"

for sig in HUP hup SIGUSR1 12 WINCH; do
	"$USHER" --reload-signal "$sig" --on-reload restart -- /bin/true 2>"$tmp/err"
	is "$?:$(cat "$tmp/err")" "0:" "--reload-signal $sig is accepted"
done

done_testing
