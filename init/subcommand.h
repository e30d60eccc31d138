/* init/subcommand.h — usher's subcommands (`usher probe`, `usher status`, ...), recognised
 * only as usher's first argument: `usher -- probe` runs a workload called probe. */
#ifndef USHER_SUBCOMMAND_H
#define USHER_SUBCOMMAND_H

/* Each gets argv from its own name on (argv[0] = "probe") and returns usher's exit status. */
typedef int subcommand_fn(int argc, char **argv);

/* The subcommand called name, or NULL. */
subcommand_fn *subcommand_find(const char *name);

int probe_main(int argc, char **argv);   /* init/probe.c */

#endif
