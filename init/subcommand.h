/* init/subcommand.h — usher's subcommands (`usher seccomp compile ...`): recognised only as
 * usher's first argument; a workload of that name runs as `usher -- NAME`. */
#ifndef USHER_SUBCOMMAND_H
#define USHER_SUBCOMMAND_H

struct subcommand {
	const char *name;
	/* argv[0] is the subcommand's name; returns usher's exit status. */
	int (*run)(int argc, char **argv);
};

/* The subcommand called name, or NULL. */
const struct subcommand *subcommand_find(const char *name);

#endif
