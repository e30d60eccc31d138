/* init/options.h — init's own settings, and reading every module's options from the
 * environment, the command line and the config file into them. */
#ifndef USHER_OPTIONS_H
#define USHER_OPTIONS_H

#include <stdbool.h>

struct init_settings {
	bool subreaper;        /* -s: PR_SET_CHILD_SUBREAPER even as PID 1's stand-in */
	bool kill_group;       /* -g: forward signals to the workload's process group */
	bool warn_on_reap;     /* -w: warn for each zombie that is not the workload */
	int parent_death_signal; /* -p: PR_SET_PDEATHSIG, 0 for none */
	bool exit_to_zero[256]; /* -e CODE: report CODE as 0 */
	long grace_ms;         /* --grace: SIGTERM to SIGKILL at the final stop */
	int expand_argv;       /* --expand-argv: 1 yes, 0 no, -1 when credentials are used */
	bool creds_used;       /* a credentials option or [Login] section was given */
	const char *control_socket; /* --control-socket: NULL default path, "none" for no socket */
	bool log_prefix;       /* --log-prefix: output lines of services and the command start with "NAME | " */
};

extern struct init_settings settings;

/* Reads USHER_* and tini/dumb-init variables from envp, then argv (running --config
 * files in place). Returns the index of the workload's command in argv (argc if none),
 * or -1 after printing an error. --help, --version and -l print and exit 0. */
int options_parse(int argc, char **argv, char **envp);

/* Applies one config-file [Service] key; used by config.c. 0, or -1 after printing. */
int options_set_conf_key(const char *key, const char *value, const char *where);

#endif
