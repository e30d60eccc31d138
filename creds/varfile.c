/* creds/varfile.c — the VAR_FILE convention of the official images (docker-library's
 * file_env): NAME_FILE=/path sets NAME from that file; NAME and NAME_FILE both set is an error. */
#include "envfile.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

size_t strip_one_newline(const char *data, size_t len)
{
	if (len >= 2 && data[len - 2] == '\r' && data[len - 1] == '\n')
		return len - 2;
	if (len >= 1 && data[len - 1] == '\n')
		return len - 1;
	return len;
}

static bool policy_allows(const struct varfile_policy *policy, const char *name,
			  size_t name_len)
{
	/* USHER_ENV_FILE and friends are usher's own options, never a VAR_FILE. */
	if (policy->all)
		return strncmp(name, "USHER_", 6) != 0;
	for (size_t i = 0; policy->names && policy->names[i]; i++)
		if (strlen(policy->names[i]) == name_len &&
		    strncmp(policy->names[i], name, name_len) == 0)
			return true;
	return false;
}

/* The NAME_FILE keys of env to resolve, as a NULL-terminated malloc'd list of copies. */
static char **file_keys(const struct env *env, const struct varfile_policy *policy)
{
	char **keys = calloc(env->len + 1, sizeof *keys);
	size_t count = 0;
	for (size_t i = 0; keys && i < env->len; i++) {
		const char *entry = env->vars[i];
		size_t key_len = (size_t)(strchr(entry, '=') - entry);
		if (key_len <= 5 || strncmp(entry + key_len - 5, "_FILE", 5) != 0)
			continue;
		if (!policy_allows(policy, entry, key_len - 5))
			continue;
		if (!(keys[count++] = strndup(entry, key_len))) {
			for (size_t k = 0; k < count - 1; k++)
				free(keys[k]);
			free(keys);
			return NULL;
		}
	}
	if (!keys)
		usher_err("out of memory");
	return keys;
}

static int resolve_one(struct env *env, const char *file_key,
		       int (*loaded_path)(const char *path))
{
	size_t name_len = strlen(file_key) - 5;
	const char *path = env_get(env, file_key);
	/* file_env's tests are "non-empty": NAME= with NAME_FILE set lets the file win. */
	if (!path || !*path)
		return 0;
	char *name = strndup(file_key, name_len);
	if (!name) {
		usher_err("out of memory");
		return -1;
	}
	const char *current = env_get(env, name);
	if (current && *current) {
		usher_err("both %s and %s are set (but are exclusive)", name, file_key);
		free(name);
		return -1;
	}
	free(name);
	char *data;
	size_t len;
	if (secret_file_read(path, false, &data, &len) != 0)
		return -1;
	size_t value_len = strip_one_newline(data, len);
	int rc = 0;
	if (memchr(data, '\0', value_len)) {
		usher_err("%s: contains a NUL byte, which an environment variable cannot hold",
			  path);
		rc = -1;
	} else if (loaded_path && loaded_path(path) != 0) {
		rc = -1;
	} else if (env_set(env, file_key, name_len, data, value_len, true) != 0) {
		usher_err("%s: out of memory", path);
		rc = -1;
	}
	wipe_free(data, len);
	if (rc == 0)
		env_unset(env, file_key); /* as file_env: the workload sees NAME only */
	return rc;
}

int varfile_resolve(struct env *env, const struct varfile_policy *policy,
		    int (*loaded_path)(const char *path))
{
	char **keys = file_keys(env, policy);
	if (!keys)
		return -1;
	int rc = 0;
	for (size_t i = 0; keys[i]; i++) {
		if (rc == 0)
			rc = resolve_one(env, keys[i], loaded_path);
		free(keys[i]);
	}
	free(keys);
	return rc;
}
