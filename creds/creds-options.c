/* creds/creds-options.c — the credentials options (creds_options[]: --env-file, --env,
 * Environment=, --var-files, --wait-for, reload and rotation): each checks and records. */
#include "creds.h"

#include "creds-config.h"
#include "envfile.h"
#include "opt.h"
#include "signals.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

struct creds_config creds_config = {
	.wait_timeout_ms = 60000,
	/* VAR_FILE is opt-in: callers' environments hold unrelated *_FILE variables
	 * (TF_CLI_CONFIG_FILE, LOG_FILE) that must neither stop usher nor be rewritten. */
	.var_files = { .all = false },
	.reload_signal = SIGHUP,
};

/* Append a copy of text to a NULL-terminated list. */
int creds_push_string(char ***list, size_t *count, const char *text, size_t len)
{
	char **bigger = realloc(*list, (*count + 2) * sizeof **list);
	if (!bigger)
		return -1;
	*list = bigger;
	if (!(bigger[*count] = strndup(text, len)))
		return -1;
	bigger[++*count] = NULL;
	return 0;
}

static int push_source(struct source source, const char *where)
{
	struct source *bigger =
		realloc(creds_config.sources, (creds_config.source_count + 1) * sizeof *bigger);
	if (!bigger) {
		usher_err("%s: out of memory", where);
		return -1;
	}
	creds_config.sources = bigger;
	creds_config.sources[creds_config.source_count++] = source;
	return 0;
}

static int set_env_file(const char *value, const char *where)
{
	struct source source = { .kind = SOURCE_FILE };
	if (envfile_spec_parse(value, where, &source.format, &source.missing_ok, &source.path) != 0)
		return -1;
	return push_source(source, where);
}

int creds_check_env_file(const char *value, const char *where)
{
	struct source source;
	return envfile_spec_parse(value, where, &source.format, &source.missing_ok, &source.path);
}

static int set_env_dir(const char *value, const char *where)
{
	struct source source = { .kind = SOURCE_DIR };
	if (*value == '-') {
		source.missing_ok = true;
		value++;
	}
	if (!*value) {
		usher_err("%s: missing directory", where);
		return -1;
	}
	source.path = value;
	return push_source(source, where);
}

static bool valid_key(const char *key, size_t len)
{
	if (len == 0 || !((key[0] >= 'A' && key[0] <= 'Z') || (key[0] >= 'a' && key[0] <= 'z') ||
			  key[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!((key[i] >= 'A' && key[i] <= 'Z') || (key[i] >= 'a' && key[i] <= 'z') ||
		      (key[i] >= '0' && key[i] <= '9') || key[i] == '_' || key[i] == '.' ||
		      key[i] == '/'))
			return false;
	return true;
}

/* One "KEY=VALUE" (not secret: it is in usher's own argv or config file). */
static int push_assignment(const char *text, size_t len, const char *where)
{
	const char *equals = memchr(text, '=', len);
	if (!equals || !valid_key(text, (size_t)(equals - text))) {
		usher_err("%s: expected KEY=VALUE with KEY [A-Za-z_][A-Za-z0-9_./]*", where);
		return -1;
	}
	struct source source = { .kind = SOURCE_ASSIGN };
	source.key = strndup(text, (size_t)(equals - text));
	source.value = strndup(equals + 1, len - (size_t)(equals - text) - 1);
	if (!source.key || !source.value) {
		free(source.key);
		free(source.value);
		usher_err("%s: out of memory", where);
		return -1;
	}
	return push_source(source, where);
}

static int set_env_cli(const char *value, const char *where)
{
	return push_assignment(value, strlen(value), where);
}

/* systemd's Environment=: words split at white space; "..." and '...' group, a backslash
 * takes the next character literally (\n and \t: newline, tab). */
static int set_environment(const char *value, const char *where)
{
	size_t cap = strlen(value) + 1;
	char *word = malloc(cap);
	if (!word) {
		usher_err("%s: out of memory", where);
		return -1;
	}
	const char *p = value;
	int rc = 0;
	while (rc == 0) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t len = 0;
		char quote = 0;
		for (; *p && (quote || (*p != ' ' && *p != '\t')); p++) {
			if (quote && *p == quote) {
				quote = 0;
			} else if (!quote && (*p == '"' || *p == '\'')) {
				quote = *p;
			} else if (*p == '\\' && quote != '\'' && p[1]) {
				p++;
				word[len++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
			} else {
				word[len++] = *p;
			}
		}
		if (quote) {
			usher_err("%s: unmatched %c", where, quote);
			rc = -1;
		} else {
			rc = push_assignment(word, len, where);
		}
	}
	free(word);
	return rc;
}

static int set_unset_env(const char *value, const char *where)
{
	if (!valid_key(value, strlen(value))) {
		usher_err("%s: not a variable name", where);
		return -1;
	}
	if (creds_push_string(&creds_config.unset_names, &creds_config.unset_count, value, strlen(value)) != 0) {
		usher_err("%s: out of memory", where);
		return -1;
	}
	return 0;
}

/* "all", "none", or NAME[,NAME...]: the NAMEs whose NAME_FILE is resolved. */
static int set_var_files(const char *value, const char *where)
{
	creds_config.var_files.all = strcmp(value, "all") == 0;
	/* The last setting wins (one list, not appended): the one before is freed. */
	for (char **name = creds_config.var_files.names; name && *name; name++)
		free(*name);
	free(creds_config.var_files.names);
	creds_config.var_files.names = NULL;
	if (creds_config.var_files.all || strcmp(value, "none") == 0)
		return 0;
	size_t count = 0;
	for (const char *p = value;;) {
		size_t len = strcspn(p, ", ");
		if (len && !valid_key(p, len)) {
			usher_err("%s: expected all, none or NAME[,NAME...]", where);
			return -1;
		}
		if (len && creds_push_string(&creds_config.var_files.names, &count, p, len) != 0) {
			usher_err("%s: out of memory", where);
			return -1;
		}
		p += len;
		if (!*p)
			break;
		p++;
	}
	return 0;
}

static int set_wait_for(const char *value, const char *where)
{
	if (!*value) {
		usher_err("%s: missing path", where);
		return -1;
	}
	if (creds_push_string(&creds_config.wait_paths, &creds_config.wait_count, value, strlen(value)) != 0) {
		usher_err("%s: out of memory", where);
		return -1;
	}
	return 0;
}

static int set_wait_timeout(const char *value, const char *where)
{
	return duration_option(value, where, &creds_config.wait_timeout_ms);
}

/* A signal that may mean "reload": one usher forwards (so not one it needs for itself or
 * that nobody can catch), and not TERM or INT, which mean stop. */
static int set_reload_signal(const char *value, const char *where)
{
	int sig = signal_from_name(value);
	if (sig < 1 || !signal_is_forwardable(sig) || sig == SIGTERM || sig == SIGINT) {
		usher_err("%s: not a reload signal (e.g. HUP, USR1, USR2; TERM and INT mean stop, "
			  "and KILL, STOP and CHLD cannot be used)", where);
		return -1;
	}
	creds_config.reload_signal = sig;
	return 0;
}

static int set_on_reload(const char *value, const char *where)
{
	if (strcmp(value, "forward") == 0)
		creds_config.restart_on_reload = false;
	else if (strcmp(value, "restart") == 0)
		creds_config.restart_on_reload = true;
	else {
		usher_err("%s: expected forward or restart", where);
		return -1;
	}
	return 0;
}

static int set_restart_on_change(const char *value, const char *where)
{
	if (parse_bool(value, &creds_config.restart_on_change) != 0) {
		usher_err("%s: expected yes or no", where);
		return -1;
	}
	return 0;
}

const struct usher_opt creds_options[] = {
	{ "env-file", 0, "EnvironmentFile", "[-][FORMAT:]PATH",
	  "load an env file, FORMAT nomad (default) or docker; - skips a missing file; repeatable",
	  set_env_file },
	{ "env-dir", 0, "EnvironmentDirectory", "[-]DIR",
	  "one variable per file in DIR (Docker/Kubernetes secrets, s6 envdir); repeatable",
	  set_env_dir },
	{ "env", 0, NULL, "KEY=VALUE", "set a variable, in order with the files; repeatable",
	  set_env_cli },
	{ NULL, 0, "Environment", "KEY=VALUE...", "set variables (systemd quoting)",
	  set_environment },
	{ "unset-env", 0, "UnsetEnvironment", "NAME",
	  "remove NAME from the workload's environment, after every source; repeatable",
	  set_unset_env },
	{ "var-files", 0, "VarFiles", "all|none|NAME,...",
	  "which NAME_FILE=/path variables set NAME from the file (default none)", set_var_files },
	{ "wait-for", 0, "WaitFor", "PATH",
	  "before loading, wait until PATH exists (a sidecar renders it); repeatable",
	  set_wait_for },
	{ "wait-timeout", 0, "WaitTimeoutSec", "DURATION",
	  "how long --wait-for waits in all before failing (default 60s)", set_wait_timeout },
	{ "reload-signal", 0, "ReloadSignal", "SIG",
	  "the signal that means reload (default SIGHUP)", set_reload_signal },
	{ "on-reload", 0, "OnReload", "forward|restart",
	  "on the reload signal: forward it (default) or re-read credentials and restart",
	  set_on_reload },
	{ "restart-on-change", 0, "RestartOnChange", NULL,
	  "re-read credentials and restart the workload when a loaded file changes",
	  set_restart_on_change },
	{ 0 },
};

