#!/usr/bin/env bash
# tests/creds/expand.t — usher expands ${VAR}, $VAR, ${VAR:-default}, ${VAR:?message} and $$ in
# the workload's argv against the loaded environment; an unset variable is exit 125 naming it.
. "$SOURCE_ROOT/tests/lib/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
umask 077
printf 'DB_HOST=db.internal\nPORT=5432\n' > "$tmp/app.env"

out=$(env -i "$USHER" --env-file "$tmp/app.env" -- /bin/echo '--url=${DB_HOST}:$PORT' '${MISSING:-fallback}' 'cost 5$$' 2>"$tmp/err")
is "$out" "--url=db.internal:5432 fallback cost 5\$" "values from the env file reach argv; defaults; \$\$"
is "$(cat "$tmp/err")" "" "no message"

out=$(env -i FROM_ENV=yes "$USHER" --expand-argv yes -- /bin/echo '${FROM_ENV}' 2>&1)
is "$out" "yes" "the process environment expands too (--expand-argv yes)"
out=$(env -i FROM_ENV=yes "$USHER" -- /bin/echo '${FROM_ENV}' '$$' 2>&1)
is "$out" '${FROM_ENV} $$' "without a credentials option argv passes untouched, as with tini"
out=$(env -i FROM_ENV=yes "$USHER" --env-file "$tmp/app.env" --expand-argv no -- /bin/echo '${FROM_ENV}' 2>&1)
is "$out" '${FROM_ENV}' "--expand-argv no turns expansion off"

env -i "$USHER" --env-file "$tmp/app.env" -- /bin/echo 'x' '${NOT_SET}' >/dev/null 2>"$tmp/err"
is $? 125 "an unset variable without default: exit 125"
is "$(cat "$tmp/err")" "usher: argv[2]: NOT_SET is not set" "... naming the variable and the argument"

env -i "$USHER" --env-file "$tmp/app.env" -- /bin/echo '${TOKEN:?mount the token secret}' >/dev/null 2>"$tmp/err"
is $? 125 "\${VAR:?message}: exit 125"
is "$(cat "$tmp/err")" "usher: argv[1]: TOKEN: mount the token secret" "... with the message"

env -i "$USHER" --env-file "$tmp/app.env" -- /bin/echo 'price: 5$' >/dev/null 2>"$tmp/err"
is $? 125 "a lone \$ is an error"
like "$(cat "$tmp/err")" 'write \$\$ for a literal \$' "... that says how to write one"

out=$(env -i "$USHER" --env-file "$tmp/app.env" -- sh -c 'echo "<$$$$>" | grep -c "^<[0-9][0-9]*>$$"' 2>&1)
is "$out" "1" "\$\$\$\$ gives the shell its \$\$"

done_testing
