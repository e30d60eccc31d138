/* creds/env.c — the workload's environment vector: set/unset/lookup over owned strings.
 * Every string may hold a secret, so it is zeroed with explicit_bzero before free(). */
#include "env.h"

#include "internal.h"

#include <stdlib.h>
#include <string.h>

void wipe_free(void *buf, size_t len)
{
	if (!buf)
		return;
	explicit_bzero(buf, len);
	free(buf);
}

static void wipe_string(char *text)
{
	if (text)
		wipe_free(text, strlen(text));
}

/* Index of key's entry, or env->len. */
static size_t find(const struct env *env, const char *key, size_t key_len)
{
	for (size_t i = 0; i < env->len; i++)
		if (strncmp(env->vars[i], key, key_len) == 0 && env->vars[i][key_len] == '=')
			return i;
	return env->len;
}

/* Room for one more entry plus the NULL terminator. */
static int reserve_one(struct env *env)
{
	if (env->len + 2 <= env->cap)
		return 0;
	size_t cap = env->cap ? env->cap * 2 : 32;
	char **vars = realloc(env->vars, cap * sizeof *vars);
	if (!vars)
		return -1;
	env->vars = vars;
	bool *from_file = realloc(env->from_file, cap * sizeof *from_file);
	if (!from_file)
		return -1;
	env->from_file = from_file;
	env->cap = cap;
	return 0;
}

int env_set(struct env *env, const char *key, size_t key_len, const char *value,
	    size_t value_len, bool from_file)
{
	char *entry = malloc(key_len + 1 + value_len + 1);
	if (!entry)
		return -1;
	memcpy(entry, key, key_len);
	entry[key_len] = '=';
	memcpy(entry + key_len + 1, value, value_len);
	entry[key_len + 1 + value_len] = '\0';

	size_t at = find(env, key, key_len);
	if (at == env->len) {
		if (reserve_one(env) != 0) {
			wipe_free(entry, key_len + 1 + value_len);
			return -1;
		}
		env->len++;
		env->vars[env->len] = NULL;
	} else {
		wipe_string(env->vars[at]);
	}
	env->vars[at] = entry;
	env->from_file[at] = from_file;
	return 0;
}

int env_copy_from(struct env *env, char *const *base)
{
	for (size_t i = 0; base && base[i]; i++) {
		const char *equals = strchr(base[i], '=');
		if (!equals || equals == base[i])
			continue;
		if (env_set(env, base[i], (size_t)(equals - base[i]), equals + 1, strlen(equals + 1),
			    false) != 0)
			return -1;
	}
	return 0;
}

void env_unset(struct env *env, const char *key)
{
	size_t at = find(env, key, strlen(key));
	if (at == env->len)
		return;
	wipe_string(env->vars[at]);
	/* Keep the order of the rest: the workload sees variables as they were given. */
	memmove(&env->vars[at], &env->vars[at + 1], (env->len - at) * sizeof *env->vars);
	memmove(&env->from_file[at], &env->from_file[at + 1],
		(env->len - at - 1) * sizeof *env->from_file);
	env->len--;
}

const char *env_get(const struct env *env, const char *key)
{
	size_t key_len = strlen(key);
	size_t at = find(env, key, key_len);
	return at == env->len ? NULL : env->vars[at] + key_len + 1;
}

char **env_vector(struct env *env)
{
	static char *empty[] = { NULL };
	return env->len ? env->vars : empty;
}

void env_wipe(struct env *env)
{
	for (size_t i = 0; i < env->len; i++)
		wipe_string(env->vars[i]);
	free(env->vars);
	free(env->from_file);
	*env = (struct env)ENV_EMPTY;
}

const char *env_lookup(char **env, const char *name)
{
	size_t name_len = strlen(name);
	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], name, name_len) == 0 && env[i][name_len] == '=')
			return env[i] + name_len + 1;
	return NULL;
}
