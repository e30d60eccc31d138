/* init/subcommand.c — the table of usher's subcommands, consulted by main() before any
 * option is parsed. One row each; docs/health.md and --help list them. */
#include "subcommand.h"
#include "control.h"

#include "seccomp-compile.h"

#include <string.h>

static const struct {
	const char *name;
	subcommand_fn *run;
} subcommands[] = {
	{ "probe", probe_main },
	{ "status", control_status_main },
	{ "health", control_health_main },
	{ "seccomp", sandbox_seccomp_main }, /* sandbox/seccomp-compile.c */
};

subcommand_fn *subcommand_find(const char *name)
{
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(subcommands[i].name, name) == 0)
			return subcommands[i].run;
	return NULL;
}
