/* creds/env.h — the workload's environment as a NULL-terminated "KEY=VALUE" vector that
 * owns its strings: set, unset, look up, and wipe (every byte zeroed before it is freed). */
#ifndef USHER_CREDS_ENV_H
#define USHER_CREDS_ENV_H

#include <stdbool.h>
#include <stddef.h>

struct env {
	char **vars;       /* NULL-terminated "KEY=VALUE", ready for execve(); NULL when empty */
	bool *from_file;   /* from_file[i]: vars[i]'s value was read from a file (a secret) */
	size_t len, cap;
	/* By key: an open-addressing table of index + 1 into vars (0 = free), at most half
	 * full, so that setting N variables takes N steps, not N^2. */
	size_t *slots;
	size_t slot_count; /* a power of two */
};

/* Empty env. */
#define ENV_EMPTY { NULL, NULL, 0, 0, NULL, 0 }


/* Copy every "KEY=VALUE" entry of base (entries without '=' are skipped). 0, or -1 (ENOMEM). */
int env_copy_from(struct env *env, char *const *base);
/* Set key to value (replacing an existing entry in place). key/value hold no NUL.
 * 0, or -1 (ENOMEM). */
int env_set(struct env *env, const char *key, size_t key_len, const char *value,
	    size_t value_len, bool from_file);
/* Remove key if present. */
void env_unset(struct env *env, const char *key);
/* Value of key, or NULL. */
const char *env_get(const struct env *env, const char *key);
/* The vector for execve(); never NULL (an empty env is a vector holding only NULL). */
char **env_vector(struct env *env);
/* Zero and free every entry; env is empty afterwards. */
void env_wipe(struct env *env);

/* Zero and free a malloc'd buffer of len bytes (NULL is fine). */
void wipe_free(void *buf, size_t len);

#endif
