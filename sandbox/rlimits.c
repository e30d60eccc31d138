/* sandbox/rlimits.c — resource limits and umask for the workload, systemd's LimitXXX=
 * syntax ("SOFT:HARD", one value for both, "infinity"), set and read back in the child. */
#include "rlimits.h"

#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>

enum unit { COUNT, BYTES, SECONDS, MICROSECONDS };

static const struct {
	const char *name; /* as in LimitNOFILE= and --rlimit nofile= */
	int resource;
	enum unit unit;
} limits[] = {
	{ "CPU", RLIMIT_CPU, SECONDS },
	{ "FSIZE", RLIMIT_FSIZE, BYTES },
	{ "DATA", RLIMIT_DATA, BYTES },
	{ "STACK", RLIMIT_STACK, BYTES },
	{ "CORE", RLIMIT_CORE, BYTES },
	{ "RSS", RLIMIT_RSS, BYTES },
	{ "NOFILE", RLIMIT_NOFILE, COUNT },
	{ "AS", RLIMIT_AS, BYTES },
	{ "NPROC", RLIMIT_NPROC, COUNT },
	{ "MEMLOCK", RLIMIT_MEMLOCK, BYTES },
	{ "LOCKS", RLIMIT_LOCKS, COUNT },
	{ "SIGPENDING", RLIMIT_SIGPENDING, COUNT },
	{ "MSGQUEUE", RLIMIT_MSGQUEUE, BYTES },
	{ "NICE", RLIMIT_NICE, COUNT },
	{ "RTPRIO", RLIMIT_RTPRIO, COUNT },
	{ "RTTIME", RLIMIT_RTTIME, MICROSECONDS },
};
enum { LIMIT_COUNT = sizeof limits / sizeof limits[0] };
_Static_assert((int)LIMIT_COUNT == (int)SBX_LIMIT_COUNT, "rlimits.h names every limit");

/* --- parsing -------------------------------------------------------------------------- */

/* One number: "infinity", a count, bytes with K/M/G/T/P/E (powers of 1024), or seconds as
 * a duration ("90", "5min"). */
static int parse_amount(const char *text, enum unit unit, rlim_t *amount)
{
	if (strcasecmp(text, "infinity") == 0) {
		*amount = RLIM_INFINITY;
		return 0;
	}
	if (unit == SECONDS) {
		long ms;
		if (parse_duration_ms(text, &ms) != 0)
			return -1;
		*amount = (rlim_t)((ms + 999) / 1000);
		return 0;
	}
	if (*text < '0' || *text > '9')
		return -1;
	char *end;
	errno = 0;
	unsigned long long number = strtoull(text, &end, 10);
	if (errno)
		return -1;
	unsigned shift = 0;
	if (unit == BYTES && *end) {
		const char *suffixes = "KMGTPE";
		const char *found = strchr(suffixes, *end);
		if (!found || end[1])
			return -1;
		shift = 10 * (unsigned)(found - suffixes + 1);
		end++;
	}
	if (*end || (shift && number > (UINT64_MAX >> shift)))
		return -1;
	number <<= shift;
	if (number >= (unsigned long long)RLIM_INFINITY)
		return -1;
	*amount = (rlim_t)number;
	return 0;
}

int rlimits_set_index(struct sbx_limits *l, size_t index, const char *value, const char *where)
{
	char soft_text[64];
	const char *colon = strchr(value, ':');
	size_t soft_len = colon ? (size_t)(colon - value) : strlen(value);
	struct rlimit limit;
	if (soft_len >= sizeof soft_text)
		goto bad;
	memcpy(soft_text, value, soft_len);
	soft_text[soft_len] = '\0';
	if (parse_amount(soft_text, limits[index].unit, &limit.rlim_cur) != 0)
		goto bad;
	limit.rlim_max = limit.rlim_cur;
	if (colon && parse_amount(colon + 1, limits[index].unit, &limit.rlim_max) != 0)
		goto bad;
	if (limit.rlim_max != RLIM_INFINITY &&
	    (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > limit.rlim_max)) {
		usher_err("%s: soft limit above the hard limit in '%s'", where, value);
		return -1;
	}
	char *kept = strdup(where);
	if (!kept) {
		usher_err("%s: out of memory", where);
		return -1;
	}
	struct sbx_limit *wanted = &l->wanted[index];
	free(wanted->where);
	wanted->where = kept;
	wanted->value = limit;
	wanted->given = true;
	return 0;
bad:
	usher_err("%s: expected VALUE or SOFT:HARD (a number%s, or infinity), got '%s'", where,
		  limits[index].unit == BYTES ? " with an optional K/M/G/T suffix"
		  : limits[index].unit == SECONDS ? " of seconds or a duration like 5min" : "",
		  value);
	return -1;
}

int rlimits_set(struct sbx_limits *l, const char *value, const char *where)
{
	const char *equals = strchr(value, '=');
	for (size_t i = 0; equals && i < LIMIT_COUNT; i++) {
		size_t name_len = strlen(limits[i].name);
		if ((size_t)(equals - value) == name_len && strncasecmp(value, limits[i].name, name_len) == 0)
			return rlimits_set_index(l, i, equals + 1, where);
	}
	usher_err("%s: expected NAME=VALUE with NAME one of cpu fsize data stack core rss nofile "
		  "as nproc memlock locks sigpending msgqueue nice rtprio rttime, got '%s'", where, value);
	return -1;
}

int umask_set(struct sbx_limits *l, const char *value, const char *where)
{
	char *end;
	errno = 0;
	long mask = strtol(value, &end, 8);
	if (!*value || *end || errno || mask < 0 || mask > 0777) {
		usher_err("%s: expected an octal mode such as 0027, got '%s'", where, value);
		return -1;
	}
	l->umask = (mode_t)mask;
	l->umask_given = true;
	return 0;
}

bool rlimits_requested(const struct sbx_limits *l)
{
	for (size_t i = 0; i < LIMIT_COUNT; i++)
		if (l->wanted[i].given)
			return true;
	return l->umask_given;
}

/* --- in the child --------------------------------------------------------------------- */

int rlimits_apply(const struct sbx_limits *l)
{
	for (size_t i = 0; i < LIMIT_COUNT; i++) {
		const struct sbx_limit *wanted = &l->wanted[i];
		if (!wanted->given)
			continue;
		struct rlimit now;
		if (setrlimit(limits[i].resource, &wanted->value) != 0) {
			usher_err("%s: setting Limit%s: %s%s", wanted->where, limits[i].name,
				  strerror(errno),
				  errno == EPERM ? " (raising a hard limit needs CAP_SYS_RESOURCE)" : "");
			return -1;
		}
		if (getrlimit(limits[i].resource, &now) != 0 ||
		    now.rlim_cur != wanted->value.rlim_cur || now.rlim_max != wanted->value.rlim_max) {
			usher_err("%s: Limit%s did not take effect", wanted->where, limits[i].name);
			return -1;
		}
	}
	if (l->umask_given) {
		umask(l->umask);
		/* umask() cannot fail; reading it back means setting it once more. */
		if (umask(l->umask) != l->umask) {
			usher_err("umask %04o did not take effect", (unsigned)l->umask);
			return -1;
		}
	}
	return 0;
}
