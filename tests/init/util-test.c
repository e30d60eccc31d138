/* tests/init/util-test.c — table tests for the small parsers every module uses:
 * durations, booleans, integers, signal names and --rewrite specs. Prints TAP. */
#include "signals.h"
#include "util.h"
#include "../lib/unit-tap.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	static const struct { const char *text; int rc; long ms; } durations[] = {
		{ "30s", 0, 30000 }, { "500ms", 0, 500 }, { "2m", 0, 120000 }, { "1h", 0, 3600000 },
		{ "1.5s", 0, 1500 }, { "0.25m", 0, 15000 }, { "10", 0, 10000 }, { "0", 0, 0 },
		{ "2min", 0, 120000 }, { "3sec", 0, 3000 }, { "1.2345s", -1, 0 }, { "abc", -1, 0 },
		{ "-1s", -1, 0 }, { "1.s", -1, 0 }, { "5x", -1, 0 }, { "1e3", -1, 0 }, { ".5s", -1, 0 },
		{ "", -1, 0 }, { "999999999999h", -1, 0 }, { "10 s", -1, 0 },
	};
	for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
		long ms = -7;
		int rc = parse_duration_ms(durations[i].text, &ms);
		ok(rc == durations[i].rc && (rc != 0 || ms == durations[i].ms), "duration '%s'",
		   durations[i].text);
	}
	static const struct { const char *text; int rc; bool value; } bools[] = {
		{ "yes", 0, true }, { "on", 0, true }, { "TRUE", 0, true }, { "1", 0, true },
		{ "no", 0, false }, { "off", 0, false }, { "false", 0, false }, { "0", 0, false },
		{ "maybe", -1, false }, { "", -1, false },
	};
	for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
		bool value = !bools[i].value;
		int rc = parse_bool(bools[i].text, &value);
		ok(rc == bools[i].rc && (rc != 0 || value == bools[i].value), "bool '%s'", bools[i].text);
	}
	static const struct { const char *text; int sig; } names[] = {
		{ "TERM", SIGTERM }, { "SIGTERM", SIGTERM }, { "sigterm", SIGTERM }, { "15", 15 },
		{ "HUP", SIGHUP }, { "USR1", SIGUSR1 }, { "WINCH", SIGWINCH }, { "0", -1 },
		{ "65", -1 }, { "NOPE", -1 }, { "", -1 }, { "RTMIN+70", -1 },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		ok(signal_from_name(names[i].text) == names[i].sig, "signal name '%s'", names[i].text);
	ok(signal_from_name("RTMIN+2") == SIGRTMIN + 2, "signal name 'RTMIN+2'");
	ok(signal_from_name("RTMAX") == SIGRTMAX, "signal name 'RTMAX'");
	ok(strcmp(signal_name(SIGTERM), "SIGTERM") == 0, "signal_name '15'");

	usher_verbosity = -1; /* the rejected specs below print errors: keep TAP clean */
	ok(signal_rewrite_add("15:3", "t") == 0 && signal_rewritten(15) == 3, "rewrite '15:3'");
	ok(signal_rewrite_add("USR1:0", "t") == 0 && signal_rewritten(SIGUSR1) == 0, "rewrite 'USR1:0'");
	ok(signal_rewritten(SIGHUP) == SIGHUP, "rewrite leaves others 'HUP'");
	return done_testing();
}
