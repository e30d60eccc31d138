/* creds/secret.c — the registry of secret values, and masking them in helper output.
 * Every value loaded from a file and every captured helper output is kept here, wiped at exit. */
#include "creds.h"
#include "internal.h"
#include "login.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct secret {
	char *value;
	size_t len;
};

static struct secret *secrets;
static size_t secret_count, secret_capacity;
/* The bytes secrets start with: most positions of a line are skipped with one lookup. */
static unsigned char first_byte[256];
/* By value: index + 1 into secrets (0 = free), at most half full, so that registering N
 * values takes N steps, not N^2. */
static size_t *slots;
static size_t slot_count; /* a power of two */

void secret_free(void *buffer, size_t len)
{
	if (!buffer)
		return;
	explicit_bzero(buffer, len);
	free(buffer);
}

/* The slot holding value, or the free slot where it would go. */
static size_t slot_of(const char *value, size_t len)
{
	size_t mask = slot_count - 1;
	size_t i = hash_bytes(value, len) & mask;
	for (; slots[i]; i = (i + 1) & mask) {
		const struct secret *s = &secrets[slots[i] - 1];
		if (s->len == len && memcmp(s->value, value, len) == 0)
			break;
	}
	return i;
}

bool secret_is_registered(const char *value, size_t len)
{
	return secret_count > 0 && slots[slot_of(value, len)] != 0;
}

static void out_of_memory(void)
{
	/* Fail closed: a secret we cannot remember could be printed later. */
	usher_err("secrets: out of memory");
	_exit(EXIT_USHER_FAILED);
}

static void remember(const char *value, size_t len)
{
	if (len < SECRET_MIN_LEN || secret_is_registered(value, len))
		return;
	if (secret_count == secret_capacity) {
		size_t capacity = secret_capacity ? secret_capacity * 2 : 16;
		struct secret *grown = realloc(secrets, capacity * sizeof *grown);
		size_t *new_slots = calloc(2 * capacity, sizeof *new_slots);
		if (!grown || !new_slots)
			out_of_memory();
		secrets = grown;
		secret_capacity = capacity;
		free(slots);
		slots = new_slots;
		slot_count = 2 * capacity;
		for (size_t i = 0; i < secret_count; i++)
			slots[slot_of(secrets[i].value, secrets[i].len)] = i + 1;
	}
	char *copy = malloc(len + 1);
	if (!copy)
		out_of_memory();
	memcpy(copy, value, len);
	copy[len] = '\0';
	slots[slot_of(value, len)] = secret_count + 1;
	secrets[secret_count++] = (struct secret){ copy, len };
	first_byte[(unsigned char)copy[0]] = 1;
}

/* Output is masked line by line, so a multi-line value (a PEM key) is also remembered line
 * by line, without its line ends. */
void secret_register(const char *value)
{
	if (!value || !*value)
		return;
	size_t len = strlen(value);
	while (len > 0 && (value[len - 1] == '\n' || value[len - 1] == '\r'))
		len--;
	remember(value, len);
	if (!memchr(value, '\n', len))
		return;
	const char *line = value, *end = value + len;
	while (line < end) {
		const char *newline = memchr(line, '\n', (size_t)(end - line));
		size_t line_len = newline ? (size_t)(newline - line) : (size_t)(end - line);
		size_t trimmed = line_len;
		if (trimmed > 0 && line[trimmed - 1] == '\r')
			trimmed--;
		remember(line, trimmed);
		line += line_len + 1;
	}
}

/* One pass over text: the end of the run of secret occurrences covering position at (the
 * union of every occurrence, overlapping ones included), given the end known so far. */
static size_t cover_end_at(const char *text, size_t len, size_t at, size_t cover_end)
{
	if (!first_byte[(unsigned char)text[at]])
		return cover_end;
	for (size_t i = 0; i < secret_count; i++) {
		const struct secret *s = &secrets[i];
		if (s->len <= len - at && at + s->len > cover_end &&
		    memcmp(text + at, s->value, s->len) == 0)
			cover_end = at + s->len;
	}
	return cover_end;
}

size_t creds_mask(void *ctx, char *line, size_t len)
{
	(void)ctx;
	/* A run is written as "***" only once it has ended: until then its bytes are still read
	 * for occurrences that overlap it. Every run is at least SECRET_MIN_LEN > 3 bytes long,
	 * so the write position never passes the read position. */
	size_t out = 0, cover_end = 0;
	bool in_run = false;
	for (size_t at = 0; at < len; at++) {
		cover_end = cover_end_at(line, len, at, cover_end);
		if (at < cover_end) {
			in_run = true;
			continue;
		}
		if (in_run) {
			memcpy(line + out, "***", 3);
			out += 3;
			in_run = false;
		}
		line[out++] = line[at];
	}
	if (in_run) {
		memcpy(line + out, "***", 3);
		out += 3;
	}
	if (out < len)
		explicit_bzero(line + out, len - out);
	return out;
}

void secret_print_masked(const char *prefix, const char *line, size_t len)
{
	const char *lead = "usher: ";
	size_t prefix_len = prefix ? strlen(prefix) : 0;
	size_t size = strlen(lead) + prefix_len + 2 + len + 1;
	char *out = malloc(size);
	if (!out) {
		usher_err("%s: (a line of output dropped: out of memory)", prefix ? prefix : "login");
		return;
	}
	size_t n = 0;
	memcpy(out + n, lead, strlen(lead));
	n += strlen(lead);
	if (prefix_len) {
		memcpy(out + n, prefix, prefix_len);
		n += prefix_len;
		out[n++] = ':';
		out[n++] = ' ';
	}
	memcpy(out + n, line, len);
	n += creds_mask(NULL, out + n, len);
	out[n++] = '\n';
	/* One write per line, like usher_err, so lines do not interleave. */
	for (size_t done = 0; done < n;) {
		ssize_t wrote = write(STDERR_FILENO, out + done, n - done);
		if (wrote <= 0)
			break; /* nowhere left to report a failed write to stderr */
		done += (size_t)wrote;
	}
	secret_free(out, size);
}

size_t creds_mask_cut(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	size_t cut = len;
	/* An unfinished secret at the end must wait for the rest of it. */
	for (size_t i = 0; i < secret_count; i++) {
		const struct secret *s = &secrets[i];
		size_t longest = s->len - 1 < len ? s->len - 1 : len;
		for (size_t k = longest; k > 0; k--) {
			if (memcmp(text + len - k, s->value, k) == 0) {
				if (len - k < cut)
					cut = len - k;
				break;
			}
		}
	}
	if (cut == 0 || cut == len)
		return cut;
	/* Never cut through a run of complete secrets: its tail, carried over alone, would no
	 * longer match and would be printed. Cut at the start of the run instead. */
	size_t cover_end = 0, run_start = 0;
	for (size_t at = 0; at <= cut; at++) {
		if (at >= cover_end)
			run_start = at;
		cover_end = cover_end_at(text, len, at, cover_end);
	}
	return cut < cover_end && run_start < cut ? run_start : cut;
}

size_t secret_safe_cut(const char *text, size_t len)
{
	return creds_mask_cut(NULL, text, len);
}

void secret_wipe_all(void)
{
	for (size_t i = 0; i < secret_count; i++)
		secret_free(secrets[i].value, secrets[i].len + 1);
	free(secrets);
	free(slots);
	secrets = NULL;
	slots = NULL;
	secret_count = secret_capacity = slot_count = 0;
	memset(first_byte, 0, sizeof first_byte);
}
