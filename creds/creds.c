/* creds/creds.c — the credentials phase as init/ sees it (creds.h): building the workload's
 * environment from its sources in order (creds-options.c records them), argv, reload, wipe. */
#include "creds.h"

#include "creds-config.h"
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
	if (!creds_config.restart_on_change)
		return 0;
	for (size_t i = 0; i < watched_count; i++)
		if (strcmp(watched[i], path) == 0)
			return 0;
	if (watch_add(path) != 0)
		return -1;
	if (creds_push_string(&watched, &watched_count, path, strlen(path)) != 0) {
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
	if (creds_config.restart_on_change && lstat(data_link, &st) == 0)
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
	for (size_t i = 0; i < creds_config.source_count; i++) {
		const struct source *source = &creds_config.sources[i];
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
	if (varfile_resolve(env, &creds_config.var_files, note_loaded) != 0)
		return -1;
	for (size_t i = 0; i < creds_config.unset_count; i++)
		env_unset(env, creds_config.unset_names[i]);
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
	int rc = waitfor_paths(creds_config.wait_paths, creds_config.wait_timeout_ms);
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
	return creds_config.restart_on_reload ? creds_config.reload_signal : 0;
}

int creds_watch_fd(void)
{
	return creds_config.restart_on_change ? watch_fd() : -1;
}

bool creds_watch_changed(void)
{
	return creds_config.restart_on_change && watch_changed();
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
