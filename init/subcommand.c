/* init/subcommand.c — the table of usher's subcommands, consulted by main() before any
 * option is parsed. One row each; docs/health.md and --help list them. */
#include "subcommand.h"

#include <string.h>

static const struct {
	const char *name;
	subcommand_fn *run;
} subcommands[] = {
	{ "probe", probe_main },
};

subcommand_fn *subcommand_find(const char *name)
{
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(subcommands[i].name, name) == 0)
			return subcommands[i].run;
	return NULL;
}
