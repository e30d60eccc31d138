/* sandbox/seccomp-compile.c — `usher seccomp compile PROFILE.json -o PROFILE.bpf [options]`: the
 * workload's capabilities resolved as at start, the profile compiled once for --seccomp to load. */
#include "seccomp-compile.h"

#include "opt.h"
#include "sandbox.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* The start-up options that decide what the filter holds; the rest of a start's sandbox
 * (limits, umask) does not change it. */
static const char *const deciding[] = { "user", "group", "groups", "init-groups", "cap-keep",
                                        "cap-drop", "seccomp-arches" };

static const char usage[] =
	"usage: usher seccomp compile PROFILE.json -o PROFILE.bpf [--user U] [--group G] "
	"[--cap-keep CAPS] [--cap-drop CAPS] [--seccomp-arches ARCHES|native] [-v]\n";

static const struct usher_opt *deciding_option(const char *name, size_t len)
{
	for (size_t d = 0; d < sizeof deciding / sizeof deciding[0]; d++) {
		if (strlen(deciding[d]) != len || strncmp(deciding[d], name, len) != 0)
			continue;
		for (const struct usher_opt *o = sandbox_options; o->set; o++)
			if (o->long_name && strcmp(o->long_name, deciding[d]) == 0)
				return o;
	}
	return NULL;
}

static int bad_usage(const char *why, const char *what)
{
	usher_err("seccomp compile: %s%s", why, what);
	fputs(usage, stderr);
	return 2;
}

int sandbox_seccomp_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "compile") != 0)
		return bad_usage("expected: usher seccomp compile", "");
	const char *profile = NULL, *output = NULL;
	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "-v") == 0) {
			usher_verbosity = 2;
		} else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) {
			if (++i == argc)
				return bad_usage(arg, " needs a path");
			output = argv[i];
		} else if (strncmp(arg, "--", 2) == 0) {
			const char *name = arg + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			const struct usher_opt *o = deciding_option(name, len);
			if (!o)
				return bad_usage("unknown option ", arg);
			const char *value = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
			if (!value)
				return bad_usage(arg, " needs a value");
			char where[64];
			snprintf(where, sizeof where, "--%s", o->long_name);
			if (o->set(value, keep_string(where)) != 0)
				return EXIT_USHER_FAILED;
		} else if (!profile) {
			profile = arg;
		} else {
			return bad_usage("one profile only, got another: ", arg);
		}
	}
	if (!profile || !output)
		return bad_usage(profile ? "-o PROFILE.bpf is missing" : "PROFILE.json is missing", "");
	/* As a start decides them: the image's /etc files, usher's own bounding set for a root
	 * workload without --cap-* options. The setters above wrote into the main plan. */
	return sandbox_compile_seccomp(sandbox_plan_main(), profile, output);
}
