/* creds/login.h — what the login half (login.c, secret.c) shares beyond creds/internal.h:
 * the masking helpers the helper runner needs to cut long output lines and to filter env. */
#ifndef USHER_CREDS_LOGIN_H
#define USHER_CREDS_LOGIN_H

#include <stdbool.h>
#include <stddef.h>

/* Values shorter than this are not secrets for masking or env filtering: masking "1" or
 * "on" would garble every line and hide nothing an attacker could not guess. */
enum { SECRET_MIN_LEN = 4 };

/* True if value is exactly a registered secret (the helper env leaves such entries out). */
bool secret_is_registered(const char *value, size_t len);

/* Where a partial line of len bytes may be printed without splitting a secret: the largest
 * cut such that text[0..cut) can be masked and printed now and text[cut..len) carried over
 * to be completed by later output. 0 means nothing may be printed yet. */
size_t secret_safe_cut(const char *text, size_t len);

/* Wipe and free len bytes of a heap buffer (NULL is fine). */
void secret_free(void *buffer, size_t len);

#endif
