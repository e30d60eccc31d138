/* tests/creds/envfile-test.c — table-driven TAP test of the env-file parsers: every accepted
 * and rejected rule of go-envparse v0.1.0 (nomad) and docker's --env-file, with line numbers. */
#include "envfile.h"
#include "../lib/unit-tap.h"

/* Input with its length, so a table row may hold NUL bytes. */
#define IN(text) text, sizeof(text) - 1

struct row {
	const char *name;
	enum envfile_format format;
	const char *input;
	size_t input_len;
	const char *expect;     /* every "KEY=VALUE\n" in order; NULL when an error is expected */
	size_t error_line;
	const char *error_part; /* part of the reason */
};

#define NOMAD ENVFILE_NOMAD
#define DOCKER ENVFILE_DOCKER

static const struct row rows[] = {
	/* --- nomad: go-envparse v0.1.0 TestParseLine_OK --- */
	{ "Empty", NOMAD, IN(""), "", 0, 0 },
	{ "Emptyish", NOMAD, IN(" "), "", 0, 0 },
	{ "OnlyComment", NOMAD, IN("# ..."), "", 0, 0 },
	{ "OnlyCommentish", NOMAD, IN(" # ..."), "", 0, 0 },
	{ "EmptyValue (KEY= is the empty string in v0.1.0)", NOMAD, IN("FoO="), "FoO=\n", 0, 0 },
	{ "EmptyValueComment", NOMAD, IN("F=# ..."), "F=\n", 0, 0 },
	{ "EmptyValueSpace", NOMAD, IN("F_O= "), "F_O=\n", 0, 0 },
	{ "EmptyValueSpaceComment", NOMAD, IN("F= # ..."), "F=\n", 0, 0 },
	{ "Simple", NOMAD, IN("FOO=bar"), "FOO=bar\n", 0, 0 },
	{ "Export", NOMAD, IN("export FOO=bar"), "FOO=bar\n", 0, 0 },
	{ "Spaces", NOMAD, IN(" FOO = bar baz "), "FOO=bar baz\n", 0, 0 },
	{ "Tabs", NOMAD, IN("\tFOO\t= \tbar \t"), "FOO=bar\n", 0, 0 },
	{ "ExportSpaces", NOMAD, IN("export FOO = bar"), "FOO=bar\n", 0, 0 },
	{ "ExportAsKey", NOMAD, IN("export = bar"), "export=bar\n", 0, 0 },
	{ "Nums", NOMAD, IN("A1B2C3=a1b2c3"), "A1B2C3=a1b2c3\n", 0, 0 },
	{ "Comments", NOMAD, IN("FOO=bar # ok"), "FOO=bar\n", 0, 0 },
	{ "Comment without space (# inside an unquoted value)", NOMAD, IN("FOO=bar#baz"),
	  "FOO=bar\n", 0, 0 },
	{ "EmptyComments1", NOMAD, IN("FOO=#bar#"), "FOO=\n", 0, 0 },
	{ "EmptyComments2", NOMAD, IN("FOO= # bar "), "FOO=\n", 0, 0 },
	{ "DoubleQuotes", NOMAD, IN("FOO=\"bar#\""), "FOO=bar#\n", 0, 0 },
	{ "DoubleQuoteNewline", NOMAD, IN("FOO=\"bar\\n\""), "FOO=bar\n\n", 0, 0 },
	{ "DoubleQuoteNewlineComment", NOMAD, IN("FOO=\"bar\\n\" # comment"), "FOO=bar\n\n", 0,
	  0 },
	{ "DoubleQuoteSpaces", NOMAD, IN("FOO = \" bar\\t\" "), "FOO= bar\t\n", 0, 0 },
	{ "SingleQuotes", NOMAD, IN("FOO='bar#'"), "FOO=bar#\n", 0, 0 },
	{ "SingleQuotesNewline (literal)", NOMAD, IN("FOO='\\n' # empty"), "FOO=\\n\n", 0, 0 },
	{ "SingleQuotesEmpty", NOMAD, IN("FOO='' # empty"), "FOO=\n", 0, 0 },
	{ "NormalSingleMix", NOMAD, IN("FOO=normal'single ' "), "FOO=normalsingle \n", 0, 0 },
	{ "NormalDoubleMix", NOMAD, IN("FOO= \"double\\\\\" normal # \"EOL\""),
	  "FOO=double\\ normal\n", 0, 0 },
	{ "AllModes", NOMAD,
	  IN("export FOO =  'single\\n' \\\\normal\\t \"double\\\"\\n \" # comment"),
	  "FOO=single\\n \\\\normal\\t double\"\n \n", 0, 0 },
	{ "UnicodeLiteral", NOMAD, IN("U1=\xF0\x9F\x94\xA5"), "U1=\xF0\x9F\x94\xA5\n", 0, 0 },
	{ "UnicodeLiteralQuoted", NOMAD, IN("U2= ' \xF0\x9F\x94\xA5 ' "),
	  "U2= \xF0\x9F\x94\xA5 \n", 0, 0 },
	{ "EscapedUnicode1byte", NOMAD, IN("U3=\"\\u2318\""), "U3=\xE2\x8C\x98\n", 0, 0 },
	{ "EscapedUnicode2byte", NOMAD, IN("U3=\"\\uD83D\\uDE01\""), "U3=\xF0\x9F\x98\x81\n", 0,
	  0 },
	{ "EscapedUnicodeCombined", NOMAD, IN("U4=\"\\u2318\\uD83D\\uDE01\""),
	  "U4=\xE2\x8C\x98\xF0\x9F\x98\x81\n", 0, 0 },
	{ "README.mdEscapedUnicode", NOMAD,
	  IN("FOO=\"The template value\\nmay have included\\nsome newlines!\\n\\ud83d\\udd25\""),
	  "FOO=The template value\nmay have included\nsome newlines!\n\xF0\x9F\x94\xA5\n", 0, 0 },
	{ "UnderscoreKey", NOMAD, IN("_=x' ' "), "_=x \n", 0, 0 },
	{ "DottedKey", NOMAD, IN("FOO.BAR=x"), "FOO.BAR=x\n", 0, 0 },
	{ "FwdSlashedKey", NOMAD, IN("FOO/BAR=x"), "FOO/BAR=x\n", 0, 0 },
	{ "README.md", NOMAD,
	  IN("SOME_KEY = normal unquoted \\text 'plus single quoted\\' \"\\\"double quoted \" # EOL"),
	  "SOME_KEY=normal unquoted \\text plus single quoted\\ \"double quoted \n", 0, 0 },
	{ "WindowsNewline", NOMAD, IN("w=\"\\r\\n\""), "w=\r\n\n", 0, 0 },
	/* --- nomad: further rules --- */
	{ "TestParse_OK file (later wins, comments, blank lines)", NOMAD,
	  IN("# Start of file\n\nFIRST=key and value pair\n_=_   # ok\n_2=_2 # ok\n"
	     "FIRST=\"overwrite # original\"  #...\n"),
	  "FIRST=overwrite # original\n_=_\n_2=_2\n", 0, 0 },
	{ "Concatenation a\"b c\"'d'", NOMAD, IN("FOO=a\"b c\"'d'"), "FOO=ab cd\n", 0, 0 },
	{ "JSON escapes \\/ \\b \\f \\\\ \\\"", NOMAD, IN("E=\"\\/\\b\\f\\\\\\\"\""),
	  "E=/\b\f\\\"\n", 0, 0 },
	{ "Backslash is literal outside quotes", NOMAD, IN("P=a\\b\\"), "P=a\\b\\\n", 0, 0 },
	{ "# and ' are literal inside double quotes", NOMAD, IN("P=\"a#b'c\""), "P=a#b'c\n", 0,
	  0 },
	{ "CRLF line endings", NOMAD, IN("A=1\r\nB=2\r\n"), "A=1\nB=2\n", 0, 0 },
	{ "Last line without newline", NOMAD, IN("A=1\nB=2"), "A=1\nB=2\n", 0, 0 },
	{ "Unicode white space trimmed like Go (NBSP, NEL, U+3000)", NOMAD,
	  IN("\xC2\xA0" "A = x\xC2\x85\nB=y\xE3\x80\x80"), "A=x\nB=y\n", 0, 0 },
	{ "Bytes >= 0x80 pass through unvalidated", NOMAD, IN("B=\xFF\xFE"), "B=\xFF\xFE\n", 0,
	  0 },
	{ "DEL passes", NOMAD, IN("D=a\x7F"), "D=a\x7F\n", 0, 0 },
	{ "Invalid surrogate pair decodes to U+FFFD", NOMAD, IN("S=\"\\uDE01\\uD83D\""),
	  "S=\xEF\xBF\xBD\n", 0, 0 },
	{ "go-envparse quirk kept: comment after a multibyte char cuts its last byte", NOMAD,
	  IN("Q=\xC3\xA9 # c"), "Q=\xC3\n", 0, 0 },
	{ "Value with =", NOMAD, IN("A=b=c"), "A=b=c\n", 0, 0 },
	{ "Interpolation is not done", NOMAD, IN("A=${B} $C"), "A=${B} $C\n", 0, 0 },
	{ "Vertical tab and form feed at the edges are white space", NOMAD, IN("\vA=1\f"),
	  "A=1\n", 0, 0 },

	/* --- nomad: rejected (TestParse_Err, TestParseLine_Err and the rules) --- */
	{ "MissingEqual", NOMAD, IN("FOO=bar\nx\nXYZ=1\n"), NULL, 2, "missing =" },
	{ "NewlineInDoubleQuote (no multi-line values)", NOMAD,
	  IN("A=1\nB=\"foo\nbar\"\nC=3\n"), NULL, 2, "unmatched \"" },
	{ "NewLineInSingleQuote", NOMAD, IN("A=2\nB='foo\nbar'\nC=3"), NULL, 2, "unmatched '" },
	{ "CheckLineCount", NOMAD, IN("\n\n\n\n\nA=1 # ok\n# ok\n\n\nU=\"\\\xFF\""), NULL, 10,
	  "multibyte" },
	{ "MissingEqual on one line", NOMAD, IN("foo bar"), NULL, 1, "missing =" },
	{ "EmptyKey", NOMAD, IN("=bar"), NULL, 1, "empty key" },
	{ "EqualOnly", NOMAD, IN("="), NULL, 1, "empty key" },
	{ "InvalidKey 1abc", NOMAD, IN("1abc=x"), NULL, 1, "key must start" },
	{ "InvalidKey2 @abc", NOMAD, IN("@abc=x"), NULL, 1, "key must start" },
	{ "InvalidKey3 a b c", NOMAD, IN("a b c=x"), NULL, 1, "key characters" },
	{ "Key with -", NOMAD, IN("KEY-NAME=1"), NULL, 1, "key characters" },
	{ "Key starting with a multibyte char", NOMAD, IN("\xC3\xA9=1"), NULL, 1,
	  "key must start" },
	{ "export with two spaces", NOMAD, IN("export  FOO=1"), NULL, 1, "key must start" },
	{ "export with a tab", NOMAD, IN("export\tFOO=1"), NULL, 1, "key characters" },
	{ "UTF-8 BOM is not skipped", NOMAD, IN("\xEF\xBB\xBF" "A=1"), NULL, 1,
	  "key must start" },
	{ "InvalidValue NUL", NOMAD, IN("FOO=\x00"), NULL, 1, "control character 0x00" },
	{ "Raw TAB inside a value", NOMAD, IN("FOO=a\tb"), NULL, 1, "control character 0x09" },
	{ "Raw TAB inside double quotes", NOMAD, IN("FOO=\"a\tb\""), NULL, 1,
	  "control character 0x09" },
	{ "Raw CR inside single quotes", NOMAD, IN("FOO='a\rb'"), NULL, 1,
	  "control character 0x0d" },
	{ "Raw control character after a comment start still counts? no: comment ends it",
	  NOMAD, IN("FOO=a #\x01"), "FOO=a\n", 0, 0 },
	{ "OpenDoubleQuote", NOMAD, IN("FOO=\" bar"), NULL, 1, "unmatched \"" },
	{ "OpenSingleQuote", NOMAD, IN("FOO=' bar"), NULL, 1, "unmatched '" },
	{ "UnmatchedMix", NOMAD, IN("FOO=ok '\"ok\"' \\\"not ok ''"), NULL, 1, "unmatched \"" },
	{ "UnmatchedMix2", NOMAD, IN("FOO=ok '\"ok\"' \\\"not ok '\"'"), NULL, 1,
	  "unmatched '" },
	{ "InvalidEscape \\a", NOMAD, IN("FOO=\"\\a\""), NULL, 1, "invalid escape" },
	{ "InvalidEscape \\x41", NOMAD, IN("FOO=\"\\x41\""), NULL, 1, "invalid escape" },
	{ "Single-quote escape is not JSON", NOMAD, IN("FOO=\"\\'\""), NULL, 1,
	  "invalid escape" },
	{ "IncompleteEscape", NOMAD, IN("FOO=\"\\"), NULL, 1, "incomplete escape" },
	{ "IncompleteHex", NOMAD, IN("FOO=\"\\u12\""), NULL, 1, "incomplete hex" },
	{ "InvalidHex", NOMAD, IN("FOO=\"\\uabcZ\""), NULL, 1, "invalid hex" },
	{ "IncompleteSurrogatePair1", NOMAD, IN("FOO=\"abc \\uD83D\""), NULL, 1,
	  "surrogate" },
	{ "IncompleteSurrogatePair2", NOMAD, IN("FOO=\"abc \\uD83D \\uDE01\""), NULL, 1,
	  "surrogate" },
	{ "IncompleteSurrogatePair3", NOMAD, IN("FOO=\"abc \\uD83DDE01\""), NULL, 1,
	  "surrogate" },
	{ "IncompleteSurrogatePair4", NOMAD, IN("FOO=\"abc \\uD83D\\uDE0\""), NULL, 1,
	  "invalid hex" },
	{ "\\u0000 cannot reach an environment", NOMAD, IN("FOO=\"a\\u0000\""), NULL, 1,
	  "\\u0000" },
	{ "Error on a later line after good ones", NOMAD, IN("A=1\n# c\n\nB='x\n"), NULL, 4,
	  "unmatched '" },

	/* --- docker: accepted --- */
	{ "docker simple", DOCKER, IN("A=1"), "A=1\n", 0, 0 },
	{ "docker quotes are kept", DOCKER, IN("A=\"x y\""), "A=\"x y\"\n", 0, 0 },
	{ "docker single quotes kept", DOCKER, IN("A='it''s'"), "A='it''s'\n", 0, 0 },
	{ "docker # inside a value is literal", DOCKER, IN("A=a#b"), "A=a#b\n", 0, 0 },
	{ "docker space-# is literal", DOCKER, IN("A=a #b"), "A=a #b\n", 0, 0 },
	{ "docker trailing white space kept", DOCKER, IN("A=x  \t"), "A=x  \t\n", 0, 0 },
	{ "docker leading white space of the line stripped", DOCKER, IN("  \tA=1"), "A=1\n", 0,
	  0 },
	{ "docker white space after = kept", DOCKER, IN("A= 1"), "A= 1\n", 0, 0 },
	{ "docker comments and blank lines", DOCKER, IN("# c\n   # indented\n\n \nA=1\n"),
	  "A=1\n", 0, 0 },
	{ "docker empty value", DOCKER, IN("A="), "A=\n", 0, 0 },
	{ "docker value with =", DOCKER, IN("A=b=c"), "A=b=c\n", 0, 0 },
	{ "docker no escapes", DOCKER, IN("A=\"a\\tb\\n\""), "A=\"a\\tb\\n\"\n", 0, 0 },
	{ "docker raw TAB kept", DOCKER, IN("A=x\ty"), "A=x\ty\n", 0, 0 },
	{ "docker no interpolation", DOCKER, IN("A=${B}"), "A=${B}\n", 0, 0 },
	{ "docker keys may hold . / - and lower case", DOCKER, IN("a.b/c-d=1"), "a.b/c-d=1\n",
	  0, 0 },
	{ "docker bare KEY inherits from the environment", DOCKER, IN("INHERITED\n"),
	  "INHERITED=from base\n", 0, 0 },
	{ "docker bare KEY set empty in the environment", DOCKER, IN("EMPTY_BASE"),
	  "EMPTY_BASE=\n", 0, 0 },
	{ "docker bare KEY unset: left out", DOCKER, IN("NOT_IN_BASE\nA=1"), "A=1\n", 0, 0 },
	{ "docker BOM on line 1 stripped", DOCKER, IN("\xEF\xBB\xBF" "A=1"), "A=1\n", 0, 0 },
	{ "docker BOM on line 2 is part of the key", DOCKER, IN("A=1\n\xEF\xBB\xBF" "B=2"),
	  "A=1\n\xEF\xBB\xBF" "B=2\n", 0, 0 },
	{ "docker CRLF", DOCKER, IN("A=1\r\nB=2\r\n"), "A=1\nB=2\n", 0, 0 },
	{ "docker later wins", DOCKER, IN("A=1\nA=2"), "A=2\n", 0, 0 },
	{ "docker export is not special (export A would be a key with a space)", DOCKER,
	  IN("export=1"), "export=1\n", 0, 0 },
	{ "docker valid UTF-8 value", DOCKER, IN("A=\xE2\x8C\x98"), "A=\xE2\x8C\x98\n", 0, 0 },

	/* --- docker: rejected --- */
	{ "docker no variable name", DOCKER, IN("=1"), NULL, 1, "no variable name" },
	{ "docker space in the key", DOCKER, IN("A=1\nA B=1"), NULL, 2, "whitespace" },
	{ "docker tab in the key", DOCKER, IN("A\tB=1"), NULL, 1, "whitespace" },
	{ "docker export prefix (space in key)", DOCKER, IN("export A=1"), NULL, 1,
	  "whitespace" },
	{ "docker bare key with trailing space", DOCKER, IN("A "), NULL, 1, "whitespace" },
	{ "docker invalid UTF-8", DOCKER, IN("A=1\nB=\xFF"), NULL, 2, "UTF-8" },
	{ "docker overlong UTF-8", DOCKER, IN("A=\xC0\xAF"), NULL, 1, "UTF-8" },
	{ "docker UTF-16 surrogate in UTF-8", DOCKER, IN("A=\xED\xA0\x80"), NULL, 1, "UTF-8" },
	{ "docker truncated UTF-8", DOCKER, IN("A=\xE2\x8C"), NULL, 1, "UTF-8" },
	{ "docker NUL byte", DOCKER, IN("A=x\0y"), NULL, 1, "NUL" },
};

static char *inherit[] = { "INHERITED=from base", "EMPTY_BASE=", NULL };

static size_t serialize(struct env *env, char *out, size_t size)
{
	size_t used = 0;
	for (size_t i = 0; i < env->len; i++)
		used += (size_t)snprintf(out + used, size - used, "%s\n", env->vars[i]);
	return used;
}

static void check_row(const struct row *row)
{
	struct env env = ENV_EMPTY;
	struct envfile_error error;
	int rc = envfile_parse(row->format, row->input, row->input_len, inherit, &env, &error);
	const char *format = row->format == ENVFILE_NOMAD ? "nomad" : "docker";
	if (row->expect) {
		char got[4096];
		size_t len = rc == 0 ? serialize(&env, got, sizeof got) : 0;
		bool passed = rc == 0 && len == strlen(row->expect) &&
			      memcmp(got, row->expect, len) == 0;
		if (!ok(passed, "%s: %s", format, row->name)) {
			if (rc != 0)
				diag("unexpected error on line %zu: %s", error.line, error.why);
			else
				diag_bytes("got", got, len);
			diag_bytes("expected", row->expect, strlen(row->expect));
		}
	} else {
		bool passed = rc != 0 && error.line == row->error_line &&
			      strstr(error.why, row->error_part) != NULL;
		if (!ok(passed, "%s rejects: %s", format, row->name)) {
			if (rc == 0)
				diag("parsed without error");
			else
				diag("got line %zu \"%s\"; expected line %zu with \"%s\"", error.line,
				     error.why, row->error_line, row->error_part);
		}
	}
	env_wipe(&env);
}

/* bufio.Scanner's 64 KiB token limit, which both Nomad and Docker hit. */
static void check_long_lines(void)
{
	for (int format = ENVFILE_NOMAD; format <= ENVFILE_DOCKER; format++) {
		size_t fits = ENVFILE_LINE_MAX, too_long = ENVFILE_LINE_MAX + 1;
		char *text = malloc(too_long + 8);
		memcpy(text, "A=", 2);
		memset(text + 2, 'x', too_long - 2);
		struct env env = ENV_EMPTY;
		struct envfile_error error;
		int rc = envfile_parse(format, text, fits, inherit, &env, &error);
		ok(rc == 0 && strlen(env_get(&env, "A")) == fits - 2,
		   "%s: a line of 64 KiB - 1 bytes is accepted", format ? "docker" : "nomad");
		env_wipe(&env);
		memcpy(text + too_long, "\nB=1\n", 5);
		rc = envfile_parse(format, text, too_long + 5, inherit, &env, &error);
		ok(rc != 0 && error.line == 1 && strstr(error.why, "64 KiB"),
		   "%s: a longer line is rejected", format ? "docker" : "nomad");
		env_wipe(&env);
		free(text);
	}
}

/* A rejected line's reason never carries any part of the line. */
static void check_errors_hold_no_value(void)
{
	static const char *secret_lines[] = {
		"PASSWORD=\"hunter2\\q\"", "PASSWORD='hunter2", "hunter2 hunter2",
		"PASSWORD=hun\tter2", "MIIEvhunter2AIBADAN/+Bg-kq=",
	};
	for (size_t i = 0; i < sizeof secret_lines / sizeof *secret_lines; i++) {
		struct env env = ENV_EMPTY;
		struct envfile_error error;
		int rc = envfile_parse(ENVFILE_NOMAD, secret_lines[i], strlen(secret_lines[i]),
				       NULL, &env, &error);
		ok(rc != 0 && !strstr(error.why, "hunter2") && !strstr(error.why, "PASSWORD") &&
			   !strstr(error.why, "MIIE"),
		   "the reason for bad line %zu names neither key nor value (\"%s\")", i,
		   error.why);
		env_wipe(&env);
	}
}

int main(void)
{
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		check_row(&rows[i]);
	check_long_lines();
	check_errors_hold_no_value();

	enum envfile_format format;
	ok(envfile_format_parse("nomad", &format) == 0 && format == ENVFILE_NOMAD,
	   "format name nomad");
	ok(envfile_format_parse("docker", &format) == 0 && format == ENVFILE_DOCKER,
	   "format name docker");
	ok(envfile_format_parse("dotenv", &format) != 0, "format name dotenv is unknown");
	return done_testing();
}
