/* creds/creds.c — the credentials phase as init/ sees it (creds.h): the options, building the
 * workload's environment from its sources in order, argv expansion, reloading and wiping. */
#include "creds.h"

#include "env.h"
#include "envfile.h"
#include "internal.h"
#include "opt.h"
#include "signals.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- configuration */

enum source_kind { SOURCE_FILE, SOURCE_DIR, SOURCE_ASSIGN };

/* One --env-file, --env-dir or --env / Environment= assignment, applied in given order. */
struct source {
	enum source_kind kind;
	enum envfile_format format; /* SOURCE_FILE */
	bool missing_ok;            /* "-" prefix, as systemd's EnvironmentFile=-PATH */
	const char *path;           /* SOURCE_FILE, SOURCE_DIR */
	char *key, *value;          /* SOURCE_ASSIGN */
};

static struct {
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
} config = {
	.wait_timeout_ms = 60000,
	/* VAR_FILE is opt-in: callers' environments hold unrelated *_FILE variables
	 * (TF_CLI_CONFIG_FILE, LOG_FILE) that must neither stop usher nor be rewritten. */
	.var_files = { .all = false },
	.reload_signal = SIGHUP,
};

/* Append a copy of text to a NULL-terminated list. */
static int push_string(char ***list, size_t *count, const char *text, size_t len)
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
		realloc(config.sources, (config.source_count + 1) * sizeof *bigger);
	if (!bigger) {
		usher_err("%s: out of memory", where);
		return -1;
	}
	config.sources = bigger;
	config.sources[config.source_count++] = source;
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
	if (push_string(&config.unset_names, &config.unset_count, value, strlen(value)) != 0) {
		usher_err("%s: out of memory", where);
		return -1;
	}
	return 0;
}

/* "all", "none", or NAME[,NAME...]: the NAMEs whose NAME_FILE is resolved. */
static int set_var_files(const char *value, const char *where)
{
	config.var_files.all = strcmp(value, "all") == 0;
	/* The last setting wins (one list, not appended): the one before is freed. */
	for (char **name = config.var_files.names; name && *name; name++)
		free(*name);
	free(config.var_files.names);
	config.var_files.names = NULL;
	if (config.var_files.all || strcmp(value, "none") == 0)
		return 0;
	size_t count = 0;
	for (const char *p = value;;) {
		size_t len = strcspn(p, ", ");
		if (len && !valid_key(p, len)) {
			usher_err("%s: expected all, none or NAME[,NAME...]", where);
			return -1;
		}
		if (len && push_string(&config.var_files.names, &count, p, len) != 0) {
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
	if (push_string(&config.wait_paths, &config.wait_count, value, strlen(value)) != 0) {
		usher_err("%s: out of memory", where);
		return -1;
	}
	return 0;
}

static int set_wait_timeout(const char *value, const char *where)
{
	return duration_option(value, where, &config.wait_timeout_ms);
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
	config.reload_signal = sig;
	return 0;
}

static int set_on_reload(const char *value, const char *where)
{
	if (strcmp(value, "forward") == 0)
		config.restart_on_reload = false;
	else if (strcmp(value, "restart") == 0)
		config.restart_on_reload = true;
	else {
		usher_err("%s: expected forward or restart", where);
		return -1;
	}
	return 0;
}

static int set_restart_on_change(const char *value, const char *where)
{
	if (parse_bool(value, &config.restart_on_change) != 0) {
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

/* ---------------------------------------------------------------- building the env */

/* A copy of the process environment given to creds_prepare: reloads start from it again
 * even if something in usher changes environ later. */
static struct env base = ENV_EMPTY;
static struct env current = ENV_EMPTY;  /* the workload's environment */
static char **watched;                  /* paths given to watch_add(), NULL-terminated */
static size_t watched_count;

/* Every file a value was loaded from: watched (once) when RestartOnChange= is on. */
static int note_loaded(const char *path)
{
	if (!config.restart_on_change)
		return 0;
	for (size_t i = 0; i < watched_count; i++)
		if (strcmp(watched[i], path) == 0)
			return 0;
	if (watch_add(path) != 0)
		return -1;
	if (push_string(&watched, &watched_count, path, strlen(path)) != 0) {
		usher_err("out of memory");
		return -1;
	}
	return 0;
}

static int load_env_file(const struct source *source, struct env *env)
{
	char *data;
	size_t len;
	int rc = secret_file_read(source->path, source->missing_ok, &data, &len);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	struct envfile_error error;
	rc = envfile_parse(source->format, data, len, env_vector(&base), env, &error);
	wipe_free(data, len);
	if (rc != 0) {
		usher_err("%s:%zu: %s", source->path, error.line, error.why);
		return -1;
	}
	return note_loaded(source->path);
}

static int load_env_dir(const struct source *source, struct env *env)
{
	int rc = envdir_load(source->path, source->missing_ok, env, note_loaded);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	/* A Kubernetes volume changes by swapping its ..data symlink: watch that name too. */
	char data_link[4096];
	struct stat st;
	snprintf(data_link, sizeof data_link, "%s/..data", source->path);
	if (config.restart_on_change && lstat(data_link, &st) == 0)
		return note_loaded(data_link);
	return 0;
}

/* base, then each source in the order given, then NAME_FILE, then UnsetEnvironment=. */
static int load_sources(struct env *env)
{
	if (env_copy_from(env, env_vector(&base)) != 0) {
		usher_err("out of memory");
		return -1;
	}
	for (size_t i = 0; i < config.source_count; i++) {
		const struct source *source = &config.sources[i];
		int rc = 0;
		if (source->kind == SOURCE_FILE)
			rc = load_env_file(source, env);
		else if (source->kind == SOURCE_DIR)
			rc = load_env_dir(source, env);
		else if (env_set(env, source->key, strlen(source->key), source->value,
				 strlen(source->value), false) != 0) {
			usher_err("out of memory");
			rc = -1;
		}
		if (rc != 0)
			return -1;
	}
	if (varfile_resolve(env, &config.var_files, note_loaded) != 0)
		return -1;
	for (size_t i = 0; i < config.unset_count; i++)
		env_unset(env, config.unset_names[i]);
	return 0;
}

static void register_secrets(const struct env *env)
{
	for (size_t i = 0; i < env->len; i++)
		if (env->from_file[i])
			secret_register(strchr(env->vars[i], '=') + 1);
}

/* Everything but waiting: load, register, and point the helpers at it (init runs them).
 * 0, or an exit code after printing. */
static int build(struct env *env)
{
	if (load_sources(env) != 0)
		return EXIT_USHER_FAILED;
	register_secrets(env);
	if (login_any())
		login_begin(env_vector(env));
	return 0;
}

int creds_prepare(char **base_env)
{
	/* First: from here on usher's memory holds secrets; a workload running as the same
	 * user must not ptrace it or read /proc/1/mem, environ or fds. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		usher_err("prctl(PR_SET_DUMPABLE): %s", strerror(errno));
		return EXIT_USHER_FAILED;
	}
	int rc = waitfor_paths(config.wait_paths, config.wait_timeout_ms);
	if (rc != 0)
		return rc;
	if (env_copy_from(&base, base_env) != 0) {
		usher_err("out of memory");
		return EXIT_USHER_FAILED;
	}
	struct env env = ENV_EMPTY;
	rc = build(&env);
	if (rc != 0) {
		env_wipe(&env);
		return rc;
	}
	current = env;
	usher_debug("workload environment: %zu variables", current.len);
	return 0;
}

char **creds_env(void)
{
	return env_vector(&current);
}

/* ---------------------------------------------------------------- argv */

/* Every argv handed out; creds owns them (init may keep one for a later respawn) and wipes
 * them in creds_wipe(), since an expanded argument may hold a secret. */
static char ***expanded;
static size_t expanded_count;

static void wipe_argv(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		wipe_free(argv[i], strlen(argv[i]));
	free(argv);
}

char **creds_expand_argv(char *const argv[])
{
	size_t count = 0;
	while (argv[count])
		count++;
	char **result = calloc(count + 1, sizeof *result);
	char ***list = realloc(expanded, (expanded_count + 1) * sizeof *expanded);
	if (list)
		expanded = list;
	if (!result || !list) {
		free(result);
		usher_err("out of memory");
		return NULL;
	}
	for (size_t i = 0; i < count; i++) {
		char where[32];
		snprintf(where, sizeof where, "argv[%zu]", i);
		if (!(result[i] = expand_string(argv[i], creds_env(), where))) {
			wipe_argv(result);
			return NULL;
		}
	}
	expanded[expanded_count++] = result;
	return result;
}

/* ---------------------------------------------------------------- rotation */

int creds_reload_signal(void)
{
	return config.restart_on_reload ? config.reload_signal : 0;
}

int creds_watch_fd(void)
{
	return config.restart_on_change ? watch_fd() : -1;
}

bool creds_watch_changed(void)
{
	return config.restart_on_change && watch_changed();
}

/* A reload's env while its helpers run. */
static struct env pending = ENV_EMPTY;

int creds_reload(void)
{
	env_wipe(&pending);
	if (build(&pending) != 0) {
		env_wipe(&pending);
		return -1;
	}
	return 0;
}

void creds_reload_finish(bool keep)
{
	if (!keep) {
		env_wipe(&pending);
		return;
	}
	env_wipe(&current);
	current = pending;
	pending = (struct env)ENV_EMPTY;
	usher_info("credentials reloaded: %zu variables", current.len);
}

void creds_wipe(void)
{
	env_wipe(&current);
	env_wipe(&pending);
	env_wipe(&base);
	for (size_t i = 0; i < expanded_count; i++)
		wipe_argv(expanded[i]);
	free(expanded);
	expanded = NULL;
	expanded_count = 0;
	service_env_wipe();
	secret_wipe_all();
}
