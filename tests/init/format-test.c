/* tests/init/format-test.c — init/format.c (the release build's vfprintf) against the C
 * library's own snprintf, format by format: musl's in the release build, glibc's in ASan's. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../creds/unit-tap.h"

int usher_vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap);

/* What usher's vfprintf writes for FMT, through a real FILE (as fprintf and snprintf use it). */
static char *ours(int *ret, const char *fmt, ...)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		perror("open_memstream");
		exit(1);
	}
	va_list ap;
	va_start(ap, fmt);
	*ret = usher_vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	return text;
}

#define SAME(...)                                                                                  \
	do {                                                                                       \
		char want[512];                                                                    \
		int want_ret = snprintf(want, sizeof want, __VA_ARGS__), got_ret;                 \
		char *got = ours(&got_ret, __VA_ARGS__);                                          \
		if (!ok(strcmp(got, want) == 0 && got_ret == want_ret, "%s", #__VA_ARGS__))       \
			diag("want \"%s\" (%d), got \"%s\" (%d)", want, want_ret, got, got_ret);    \
		free(got);                                                                         \
	} while (0)

#define GIVES(expected, ...)                                                                       \
	do {                                                                                       \
		int got_ret;                                                                       \
		char *got = ours(&got_ret, __VA_ARGS__);                                          \
		if (!ok(strcmp(got, expected) == 0 && got_ret == (int)strlen(expected), "%s", #__VA_ARGS__)) \
			diag("want \"%s\", got \"%s\" (%d)", expected, got, got_ret);               \
		free(got);                                                                         \
	} while (0)

int main(void)
{
	SAME("plain text, no conversion");
	SAME("%s|%5s|%-5s|%.2s|%-6.3s|%*s|%-*s|%.*s", "abc", "ab", "ab", "abc", "abcdef", 4, "x", 4, "y", 1, "zz");
	SAME("%d %i %d %d %+d % d %+d", 0, -1, INT32_MAX, INT32_MIN, 5, 5, -5);
	SAME("%5d|%-5d|%05d|%-05d|%.3d|%5.3d|%05.3d|%.0d|%.0d", 42, 42, -42, 42, 7, -7, 7, 0, 3);
	SAME("%u %x %X %o %#x %#X %#o %#o %#x", 4000000000u, 0xbeefu, 0xbeefu, 8u, 255u, 255u, 8u, 0u, 0u);
	SAME("%ld %lu %lx %lld %llu %llx", -9000000000L, 9000000000UL, 0xdeadbeefcafeUL, INT64_MIN, UINT64_MAX, UINT64_MAX);
	SAME("%zu %zd %zx %jd %ju %td", (size_t)-1, (ssize_t)-3, (size_t)4096, INTMAX_MIN, UINTMAX_MAX, (ptrdiff_t)-9);
	SAME("%hd %hu %hhd %hhu %hx %hhx", 70000, 70000, 300, 300, 0x12345, 0x1ff);
	SAME("%c%c%3c|%-3c|", 'a', 'b', 'c', 'd');
	SAME("100%% %5s%%", "done");
	SAME("%-32s %s [%s=]", "  -g, --grace DURATION", "the grace period", "GraceSec");
	SAME("%08.3f|%.0f|%.1f|%f|%-9.2f|%+.2f|%.3f", 3.14159, 2.5, -0.06, 1e10, 1.0049, 2.0, 0.0007);
	SAME("%*d|%-*d|%.*d", -6, 1, 6, 2, -1, 3);
	SAME("%s", "a string longer than the 1 KiB gather buffer? no, but the next one is");
	char big[3000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	{
		int got_ret;
		char *got = ours(&got_ret, "<%s>%d", big, 12);
		ok(got_ret == 3003 && got[0] == '<' && strcmp(got + 3000, ">12") == 0 && strspn(got + 1, "x") == 2999,
		   "3 KiB through the 1 KiB buffer arrive whole (%d bytes)", got_ret);
		free(got);
	}
	GIVES("(null)", "%s", (char *)NULL);
	GIVES("0x1f", "%p", (void *)0x1f);
	errno = ENOENT;
	GIVES("No such file or directory", "%m");
	GIVES("a %? b", "a %n b", (int *)NULL);
	GIVES("%?s", "%1$s", "x");
	GIVES("x %?", "x %");
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}
