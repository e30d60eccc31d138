/* creds/service-env.c — a service's environment (the workload's, its EnvironmentFile= files and
 * Environment= assignments) and ${VAR} expansion of its words, with creds' own parsers. */
#include "creds.h"
#include "env.h"
#include "envfile.h"
#include "internal.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int envfile_spec_parse(const char *value, const char *where, enum envfile_format *format,
		       bool *missing_ok, const char **path)
{
	*format = ENVFILE_NOMAD;
	*missing_ok = *value == '-';
	value += *missing_ok;
	/* Text before a ':' that comes before any '/' must be a format, so a typo such as
	 * "nomda:" is an error (a file named a:b is ./a:b). */
	const char *colon = strchr(value, ':'), *slash = strchr(value, '/');
	if (colon && (!slash || colon < slash)) {
		char name[16];
		size_t len = (size_t)(colon - value);
		if (len < sizeof name)
			memcpy(name, value, len), name[len] = '\0';
		if (len >= sizeof name || envfile_format_parse(name, format) != 0) {
			usher_err("%s: unknown format \"%.*s\" (nomad or docker)", where, (int)len, value);
			return -1;
		}
		value = colon + 1;
	}
	if (!*value) {
		usher_err("%s: missing path", where);
		return -1;
	}
	*path = value;
	return 0;
}

static int add_file(struct env *env, char **base, const char *spec, const char *where)
{
	enum envfile_format format;
	bool missing_ok;
	const char *path;
	char *data;
	size_t len;
	if (envfile_spec_parse(spec, where, &format, &missing_ok, &path) != 0)
		return -1;
	int rc = secret_file_read(path, missing_ok, &data, &len);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	struct envfile_error error;
	rc = envfile_parse(format, data, len, base, env, &error);
	wipe_free(data, len);
	if (rc != 0)
		usher_err("%s:%zu: %s", path, error.line, error.why);
	return rc;
}

/* Every environment and argv handed out: they may hold secrets, wiped by creds_wipe(). */
static struct env *made;
static size_t made_count;
static char ***words_made;
static size_t words_count;

void service_env_wipe(void)
{
	for (size_t i = 0; i < made_count; i++)
		env_wipe(&made[i]);
	free(made);
	made = NULL;
	made_count = 0;
	for (size_t i = 0; i < words_count; i++) {
		for (char **w = words_made[i]; *w; w++)
			wipe_free(*w, strlen(*w));
		free(words_made[i]);
	}
	free(words_made);
	words_made = NULL;
	words_count = 0;
}

char **creds_service_env(char **base, const char *home, char *const *assignments,
			 const char *const *files, const char *extra, const char *where)
{
	struct env *grown = realloc(made, (made_count + 1) * sizeof *made);
	if (!grown)
		goto oom;
	made = grown;
	struct env *env = &made[made_count++];
	*env = (struct env)ENV_EMPTY;
	if (env_copy_from(env, base) != 0)
		goto oom;
	/* User='s HOME replaces usher's own, as for the main command (a HOME the credentials
	 * set on purpose stays); the service's Environment= and EnvironmentFile= may set another. */
	if (home && !home_set_on_purpose(env_get(env, "HOME")) &&
	    env_set(env, "HOME", 4, home, strlen(home), false) != 0)
		goto oom;
	/* Assignments first, expanded against the workload's environment; files override them,
	 * as in systemd. */
	for (size_t i = 0; assignments && assignments[i]; i++) {
		char *text = expand_string(assignments[i], base, where);
		if (!text)
			return NULL;
		const char *equals = strchr(text, '=');
		size_t key_len = equals ? (size_t)(equals - text) : strlen(text);
		int rc = env_set(env, text, key_len, equals ? equals + 1 : "",
				 equals ? strlen(equals + 1) : 0, false);
		wipe_free(text, strlen(text));
		if (rc != 0)
			goto oom;
	}
	for (size_t i = 0; files && files[i]; i++)
		if (add_file(env, base, files[i], where) != 0)
			return NULL;
	if (extra && env_set(env, extra, (size_t)(strchr(extra, '=') - extra),
			     strchr(extra, '=') + 1, strlen(strchr(extra, '=') + 1), false) != 0)
		goto oom;
	return env_vector(env);
oom:
	usher_err("%s: out of memory", where);
	return NULL;
}

char **creds_expand_words(char *const *words, char **env, const char *where)
{
	size_t count = 0;
	while (words[count])
		count++;
	char **result = calloc(count + 1, sizeof *result);
	char ***grown = realloc(words_made, (words_count + 1) * sizeof *grown);
	if (grown)
		words_made = grown;
	if (!result || !grown) {
		free(result);
		usher_err("%s: out of memory", where);
		return NULL;
	}
	words_made[words_count++] = result;
	for (size_t i = 0; i < count; i++)
		if (!(result[i] = expand_string(words[i], env, where)))
			return NULL;
	return result;
}
