/* init/subcommand.c — the table of usher's subcommands, looked up by main() in usher's first
 * argument only. Each row belongs to the folder that implements it. */
#include "subcommand.h"

#include "seccomp-compile.h"

#include <string.h>

static const struct subcommand subcommands[] = {
	{ "seccomp", sandbox_seccomp_main },
};

const struct subcommand *subcommand_find(const char *name)
{
	for (size_t k = 0; k < sizeof subcommands / sizeof subcommands[0]; k++)
		if (strcmp(name, subcommands[k].name) == 0)
			return &subcommands[k];
	return NULL;
}
