/* creds/creds-config.h — what the credentials options recorded (creds-options.c), for the phase
 * that builds the environment from it (creds.c). */
#ifndef USHER_CREDS_CREDS_CONFIG_H
#define USHER_CREDS_CREDS_CONFIG_H

#include "envfile.h"

#include <stdbool.h>
#include <stddef.h>

enum source_kind { SOURCE_FILE, SOURCE_DIR, SOURCE_ASSIGN };

/* One --env-file, --env-dir or --env / Environment= assignment, applied in given order. */
struct source {
	enum source_kind kind;
	enum envfile_format format; /* SOURCE_FILE */
	bool missing_ok;            /* "-" prefix, as systemd's EnvironmentFile=-PATH */
	const char *path;           /* SOURCE_FILE, SOURCE_DIR */
	char *key, *value;          /* SOURCE_ASSIGN */
};

struct creds_config {
	struct source *sources;
	size_t source_count;
	char **wait_paths; /* NULL-terminated */
	size_t wait_count;
	long wait_timeout_ms;
	char **unset_names; /* NULL-terminated */
	size_t unset_count;
	struct varfile_policy var_files;
	int reload_signal;
	bool restart_on_reload; /* OnReload=restart; else the reload signal is forwarded */
	bool restart_on_change;
};
/* What the options set (creds-options.c); the rest of creds/ only reads it. */
extern struct creds_config creds_config;

/* Append a copy of text (len bytes) to a NULL-terminated list. 0, or -1 (out of memory). */
int creds_push_string(char ***list, size_t *count, const char *text, size_t len);

#endif
