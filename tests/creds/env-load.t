#!/usr/bin/env bash
# tests/creds/env-load.t — the real usher loads env files (nomad, docker), secret dirs, VAR_FILE
# and Environment= in order, and the workload sees the result; bad input is exit 125 with file:line.
. "$SOURCE_ROOT/tests/lib/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
umask 077

# The workload's environment, one variable per line, sorted; stderr in $tmp/err.
run_env() { env -i PATH=/usr/bin:/bin BASE=from-process "$USHER" "$@" -- /usr/bin/env 2>"$tmp/err" | sort; }

cat > "$tmp/app.env" <<'X'
# rendered by Nomad with env = false
export DB_PASSWORD="pa ss\"word#1"
API_KEY=abc # a comment
EMPTY=
X
out=$(run_env --env-file nomad:"$tmp/app.env")
like "$out" '^API_KEY=abc$' "nomad: unquoted value, comment cut" 
echo "$out" | grep -qx 'DB_PASSWORD=pa ss"word#1'; ok $? "nomad: export, double quotes with \\\" escape, # inside quotes"
echo "$out" | grep -qx 'EMPTY='; ok $? "nomad: KEY= is the empty string"
echo "$out" | grep -qx 'BASE=from-process'; ok $? "the process environment is the base"
is "$(cat "$tmp/err")" "" "no message for a private (0600) file"

out=$(run_env --env-file "$tmp/app.env")
echo "$out" | grep -qx 'API_KEY=abc'; ok $? "nomad is the default format"

printf 'QUOTED="kept"\nHASH=a#b\nBASE\nNOT_IN_BASE\n' > "$tmp/docker.env"
out=$(run_env --env-file docker:"$tmp/docker.env")
echo "$out" | grep -qx 'QUOTED="kept"'; ok $? "docker: quotes are part of the value"
echo "$out" | grep -qx 'HASH=a#b'; ok $? "docker: # is literal"
echo "$out" | grep -qx 'BASE=from-process'; ok $? "docker: a bare KEY inherits"
echo "$out" | grep -q '^NOT_IN_BASE'; ok $((!$?)) "docker: a bare KEY not in the environment is left out"

printf 'BASE=overridden\nORDER=first\n' > "$tmp/one.env"
printf 'ORDER=second\n' > "$tmp/two.env"
out=$(run_env --env-file "$tmp/one.env" --env-file "$tmp/two.env")
echo "$out" | grep -qx 'ORDER=second'; ok $? "several files: the later wins"
echo "$out" | grep -qx 'BASE=overridden'; ok $? "files override the process environment"
out=$(run_env --env-file "$tmp/two.env" --env ORDER=cli)
echo "$out" | grep -qx 'ORDER=cli'; ok $? "--env KEY=VALUE applies in order after the file"

mkdir "$tmp/secrets" "$tmp/secrets/..2026_01_01"
printf 'tok\n' > "$tmp/secrets/..2026_01_01/TOKEN"
ln -s ..2026_01_01 "$tmp/secrets/..data"; ln -s ..data/TOKEN "$tmp/secrets/TOKEN"
out=$(run_env --env-dir "$tmp/secrets")
echo "$out" | grep -qx 'TOKEN=tok'; ok $? "--env-dir: a Kubernetes-style volume, newline stripped"

printf 'hunter2\n' > "$tmp/pw"
out=$(env -i DB_PASS_FILE="$tmp/pw" "$USHER" --var-files all -- /usr/bin/env 2>"$tmp/err")
echo "$out" | grep -qx 'DB_PASS=hunter2'; ok $? "VAR_FILE sets VAR (--var-files all)"
echo "$out" | grep -q '^DB_PASS_FILE='; ok $((!$?)) "... and VAR_FILE is removed"
env -i DB_PASS=x DB_PASS_FILE="$tmp/pw" "$USHER" --var-files DB_PASS -- /usr/bin/env >/dev/null 2>"$tmp/err"
is $? 125 "VAR and VAR_FILE both set: exit 125"
like "$(cat "$tmp/err")" '^usher: both DB_PASS and DB_PASS_FILE are set' "... naming both"
out=$(env -i DB_PASS_FILE="$tmp/pw" "$USHER" -- /usr/bin/env 2>"$tmp/err")
echo "$out" | grep -qx "DB_PASS_FILE=$tmp/pw"; ok $? "without --var-files, VAR_FILE is left alone (opt-in)"
out=$(env -i DB_PASS_FILE="$tmp/pw" OTHER_FILE="$tmp/none" "$USHER" --var-files DB_PASS -- /usr/bin/env 2>"$tmp/err")
echo "$out" | grep -qx "DB_PASS=hunter2"; ok $? "--var-files NAME resolves that name only"

cat > "$tmp/usher.conf" <<X
[Service]
EnvironmentFile=$tmp/one.env
Environment="GREETING=hello world" PLAIN=1
UnsetEnvironment=BASE
X
out=$(run_env --config "$tmp/usher.conf")
echo "$out" | grep -qx 'GREETING=hello world'; ok $? "config: Environment= with systemd quoting"
echo "$out" | grep -qx 'ORDER=first'; ok $? "config: EnvironmentFile="
echo "$out" | grep -q '^BASE='; ok $((!$?)) "config: UnsetEnvironment= removes a variable"

printf '[Service]\nEnvironmentFile=nomda:%s\n' "$tmp/one.env" > "$tmp/bad.conf"
run_env --config "$tmp/bad.conf" >/dev/null
like "$(cat "$tmp/err")" "^usher: $tmp/bad.conf:2: unknown format \"nomda\"" "a bad value in the config: file and line"

printf 'A=1\n# fine\nB="s3cr3t-unterminated\nC=3\n' > "$tmp/bad.env"
"$USHER" --env-file "$tmp/bad.env" -- /bin/true 2>"$tmp/err"
is $? 125 "a bad line in an env file: exit 125"
is "$(cat "$tmp/err")" "usher: $tmp/bad.env:3: unmatched \"" "... one line: file:line: why"
unlike "$(cat "$tmp/err")" 's3cr3t' "... never quoting the value"

"$USHER" --env-file "$tmp/missing.env" -- /bin/true 2>"$tmp/err"
is $? 125 "a missing env file: exit 125"
like "$(cat "$tmp/err")" "^usher: $tmp/missing.env: No such file or directory$" "... naming it"
"$USHER" --env-file "-$tmp/missing.env" -- /bin/true 2>"$tmp/err"
is $? 0 "a missing env file with the - prefix is skipped"

chmod 644 "$tmp/one.env"
"$USHER" --env-file "$tmp/one.env" -- /bin/true 2>"$tmp/err"
like "$(cat "$tmp/err")" "^usher: warning: $tmp/one.env: readable by every user \\(mode 0644\\)$" "a world-readable env file earns a warning"

done_testing
