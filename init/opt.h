/* init/opt.h — the option table shared by init/, creds/ and sandbox/.
 * One entry feeds the command line, the config file and --help, so the three agree. */
#ifndef USHER_OPT_H
#define USHER_OPT_H

struct usher_opt {
	const char *long_name; /* "env-file" for --env-file; NULL if config-file only */
	char short_name;       /* 0 if none */
	const char *conf_key;  /* "EnvironmentFile" in [Service]; NULL if command-line only */
	const char *arg_name;  /* "PATH"; NULL for a flag (its setter then gets "yes") */
	const char *help;      /* one line for --help */
	/* Stores value. `where` names its origin for messages: "--env-file" or
	 * "/etc/usher.conf:12". Both strings live as long as the process, so a setter may
	 * keep the pointers. Returns 0, or -1 after printing "usher: <where>: <why>". */
	int (*set)(const char *value, const char *where);
};

/* Each module's table, ended by an all-zero entry. */
extern const struct usher_opt init_options[];
extern const struct usher_opt creds_options[];
extern const struct usher_opt sandbox_options[];

#endif
