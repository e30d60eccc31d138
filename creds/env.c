/* creds/env.c — the workload's environment vector: set/unset/lookup over owned strings.
 * Every string may hold a secret, so it is zeroed with explicit_bzero before free(). */
#include "env.h"

#include "internal.h"
#include "util.h"

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

static size_t key_length(const char *entry)
{
	return (size_t)(strchr(entry, '=') - entry);
}

/* The slot holding key's entry, or the free slot where it would go. */
static size_t slot_of(const struct env *env, const char *key, size_t key_len)
{
	size_t mask = env->slot_count - 1;
	size_t i = hash_bytes(key, key_len) & mask;
	for (; env->slots[i]; i = (i + 1) & mask) {
		const char *entry = env->vars[env->slots[i] - 1];
		if (strncmp(entry, key, key_len) == 0 && entry[key_len] == '=')
			break;
	}
	return i;
}

/* Index of key's entry, or env->len. */
static size_t find(const struct env *env, const char *key, size_t key_len)
{
	if (env->len == 0)
		return 0;
	size_t slot = env->slots[slot_of(env, key, key_len)];
	return slot ? slot - 1 : env->len;
}

/* Every entry in its slot again (after entries moved). */
static void fill_slots(struct env *env)
{
	memset(env->slots, 0, env->slot_count * sizeof *env->slots);
	for (size_t at = 0; at < env->len; at++)
		env->slots[slot_of(env, env->vars[at], key_length(env->vars[at]))] = at + 1;
}

/* Twice the slots, so the table stays at most half full. 0, or -1 (ENOMEM). */
static int grow_slots(struct env *env)
{
	size_t count = env->slot_count ? env->slot_count * 2 : 64;
	size_t *slots = calloc(count, sizeof *slots);
	if (!slots)
		return -1;
	free(env->slots);
	env->slots = slots;
	env->slot_count = count;
	fill_slots(env);
	return 0;
}

/* Room for one more entry plus the NULL terminator, and its slot. */
static int reserve_one(struct env *env)
{
	if (2 * (env->len + 1) > env->slot_count && grow_slots(env) != 0)
		return -1;
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
		env->slots[slot_of(env, key, key_len)] = at + 1;
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
	fill_slots(env); /* the entries after it moved */
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
	free(env->slots);
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
