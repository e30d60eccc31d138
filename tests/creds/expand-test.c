/* tests/creds/expand-test.c — table-driven TAP test of ${VAR} ${VAR:-default} ${VAR:?message}
 * $VAR and $$ expansion: results, and errors that name the variable but never a value. */
#include "internal.h"
#include "../lib/unit-tap.h"

struct row {
	const char *text;
	const char *expect;      /* NULL: an error is expected */
	const char *error_part;  /* part of the message when an error is expected */
};

static const struct row rows[] = {
	{ "plain", "plain", 0 },
	{ "", "", 0 },
	{ "$A", "1", 0 },
	{ "${A}", "1", 0 },
	{ "x${A}y", "x1y", 0 },
	{ "${A}_B", "1_B", 0 },
	{ "$A-$A", "1-1", 0 },
	{ "$A.b", "1.b", 0 },
	{ "$$", "$", 0 },
	{ "$$A", "$A", 0 },
	{ "a$$", "a$", 0 },
	{ "$${A}", "${A}", 0 },
	{ "${EMPTY}", "", 0 },
	{ "${UNSET:-def}", "def", 0 },
	{ "${EMPTY:-def}", "def", 0 },
	{ "${A:-def}", "1", 0 },
	{ "${UNSET:-}", "", 0 },
	{ "${UNSET:-a b}c", "a bc", 0 },
	{ "${UNSET:-${A}}", "1", 0 },
	{ "${UNSET:-$A$$}", "1$", 0 },
	{ "${A:-${UNSET}}", "1", 0 },           /* an unused default is not evaluated */
	{ "${UNSET:-${UNSET2:-deep}}", "deep", 0 },
	{ "${A:?need A}", "1", 0 },
	{ "${K.V}", "dot", 0 },
	{ "${K/V}", "slash", 0 },
	{ "--password=${SECRET}", "--password=s3cr3t-value", 0 },

	{ "${UNSET}", NULL, "UNSET is not set" },
	{ "$UNSET", NULL, "UNSET is not set" },
	{ "$A_B", NULL, "A_B is not set" },
	{ "${UNSET:?please set UNSET}", NULL, "UNSET: please set UNSET" },
	{ "${EMPTY:?must not be empty}", NULL, "EMPTY: must not be empty" },
	{ "${UNSET:?}", NULL, "UNSET is not set or empty" },
	{ "${UNSET:?$SECRET}", NULL, "UNSET: $SECRET" }, /* the message is not expanded */
	{ "${UNSET:-${UNSET2}}", NULL, "UNSET2 is not set" },
	{ "$", NULL, "lone $" },
	{ "cost: 5$", NULL, "lone $" },
	{ "$1", NULL, "lone $" },
	{ "$ x", NULL, "lone $" },
	{ "${", NULL, "bad substitution" },
	{ "${}", NULL, "bad substitution" },
	{ "${1A}", NULL, "bad substitution" },
	{ "${A", NULL, "missing }" },
	{ "${UNSET:-abc", NULL, "missing }" },
	{ "${UNSET:?abc", NULL, "missing }" },
	{ "${A#x}", NULL, "unsupported form" },
	{ "${A-x}", NULL, "unsupported form" },
	{ "${A:=x}", NULL, "unsupported form" },
};

static char *env[] = { "A=1", "EMPTY=", "K.V=dot", "K/V=slash", "SECRET=s3cr3t-value", NULL };

int main(void)
{
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *row = &rows[i];
		capture_begin();
		char *got = expand_string(row->text, env, "argv[3]");
		const char *message = capture_end();
		if (row->expect) {
			if (!ok(got && strcmp(got, row->expect) == 0 && !*message, "'%s' -> '%s'",
				row->text, row->expect))
				diag("got '%s', stderr '%s'", got ? got : "(error)", message);
		} else {
			bool passed = !got && strstr(message, "usher: argv[3]: ") == message &&
				      strstr(message, row->error_part) &&
				      !strstr(message, "s3cr3t-value");
			if (!ok(passed, "'%s' is an error naming '%s'", row->text, row->error_part))
				diag("got '%s', stderr '%s'", got ? got : "(error)", message);
		}
		free(got);
	}

	ok(env_lookup(env, "A") && strcmp(env_lookup(env, "A"), "1") == 0,
	   "env_lookup finds A");
	ok(env_lookup(env, "K") == NULL, "env_lookup does not match a prefix of K.V");
	ok(env_lookup(NULL, "A") == NULL, "env_lookup on no env");
	return done_testing();
}
