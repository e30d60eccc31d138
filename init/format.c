/* init/format.c — vfprintf for the static release build, without long double: musl's pulls in
 * 128-bit soft-float from libgcc on arm64 (14 KB of a 256 KiB budget) for %Lf nobody uses.
 *
 * Defining vfprintf here keeps musl's vfprintf.o out of the link; musl's printf, fprintf,
 * snprintf, vsnprintf, dprintf and asprintf all end up here. It does what C17 says for the
 * flags - + space # 0, width and precision (digits or *), the lengths hh h l ll j z t, and
 * d i u o x X c s p % plus musl's %m; %e %f %g %a print a double as %f does for |x| < 2^64
 * (nothing in usher formats one; a decimal tie such as 0.05 at %.1f is decided on the double's
 * product, not on its exact expansion, so its last digit can differ from the C library's). Positional arguments (%1$s), %n and wide %lc/%ls are not
 * supported: the conversion is printed as "%?" (tests/init/format-test.c checks all of it
 * against the C library's snprintf). Output is gathered in 1 KiB so that an unbuffered
 * stderr gets a line in one write(), as musl's own does. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef USHER_VFPRINTF
#define USHER_VFPRINTF vfprintf
#endif

struct sink {
	FILE *file;
	size_t used, total;
	bool failed;
	char buf[1024];
};

static void flush(struct sink *s)
{
	if (s->used && fwrite(s->buf, 1, s->used, s->file) != s->used)
		s->failed = true;
	s->used = 0;
}

static void put(struct sink *s, const char *text, size_t len)
{
	s->total += len;
	while (len) {
		if (s->used == sizeof s->buf)
			flush(s);
		size_t room = sizeof s->buf - s->used, n = len < room ? len : room;
		memcpy(s->buf + s->used, text, n);
		s->used += n, text += n, len -= n;
	}
}

static void pad(struct sink *s, char c, size_t n)
{
	while (n--)
		put(s, &c, 1);
}

struct spec {
	bool left, plus, space, alt, zero;
	size_t width;
	int precision; /* -1: none */
};

/* PREFIX ("-", "0x"...), then DIGITS widened to the precision, within the field width. */
static void put_field(struct sink *s, const struct spec *sp, const char *prefix, const char *digits,
		      size_t ndigits)
{
	size_t nprefix = strlen(prefix);
	size_t zeros = sp->precision >= 0 && (size_t)sp->precision > ndigits ? (size_t)sp->precision - ndigits : 0;
	size_t len = nprefix + zeros + ndigits, fill = sp->width > len ? sp->width - len : 0;
	if (!sp->left && !(sp->zero && sp->precision < 0))
		pad(s, ' ', fill);
	put(s, prefix, nprefix);
	if (!sp->left && sp->zero && sp->precision < 0)
		pad(s, '0', fill);
	pad(s, '0', zeros);
	put(s, digits, ndigits);
	if (sp->left)
		pad(s, ' ', fill);
}

/* Digits of V in BASE at the end of BUF (24 bytes hold 2^64 in octal); their count. */
static size_t to_digits(char *end, uintmax_t v, unsigned base, bool upper)
{
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t n = 0;
	do
		*(end - ++n) = set[v % base];
	while (v /= base);
	return n;
}

static void put_integer(struct sink *s, struct spec sp, char conv, uintmax_t v, bool negative)
{
	char buf[24], *end = buf + sizeof buf;
	unsigned base = conv == 'o' ? 8 : conv == 'x' || conv == 'X' || conv == 'p' ? 16 : 10;
	size_t n = sp.precision == 0 && v == 0 ? 0 : to_digits(end, v, base, conv == 'X');
	const char *prefix = "";
	if (conv == 'd' || conv == 'i')
		prefix = negative ? "-" : sp.plus ? "+" : sp.space ? " " : "";
	else if (conv == 'p' || (sp.alt && (conv == 'x' || conv == 'X') && v))
		prefix = conv == 'X' ? "0X" : "0x";
	else if (sp.alt && conv == 'o' && (v || !n) && (sp.precision < 0 || (size_t)sp.precision <= n))
		sp.precision = (int)n + 1; /* a leading 0 */
	put_field(s, &sp, prefix, end - n, n);
}

/* %f for |x| < 2^64 at the precision (default 6). */
static void put_double(struct sink *s, struct spec sp, double x)
{
	char digits[64];
	bool negative = x < 0;
	if (negative)
		x = -x;
	int prec = sp.precision < 0 ? 6 : sp.precision > 17 ? 17 : sp.precision;
	double scale = 1;
	for (int i = 0; i < prec; i++)
		scale *= 10;
	if (!(x < 18446744073709551616.0 / scale)) { /* too large, inf or nan */
		sp.precision = -1, sp.zero = false;
		put_field(s, &sp, negative ? "-" : "", "inf", 3);
		return;
	}
	uintmax_t whole = (uintmax_t)x;
	double scaled = (x - (double)whole) * scale;
	uintmax_t frac = (uintmax_t)scaled;
	double rest = scaled - (double)frac; /* a tie goes to the even digit, as the C library's */
	if (rest > 0.5 || (rest == 0.5 && ((prec ? frac : whole) & 1)))
		frac++;
	if (frac >= (uintmax_t)scale)
		whole++, frac -= (uintmax_t)scale;
	size_t n = to_digits(digits + 40, whole, 10, false);
	memmove(digits, digits + 40 - n, n);
	if (prec || sp.alt)
		digits[n++] = '.';
	for (int i = prec; i > 0; i--, frac /= 10)
		digits[n + (size_t)i - 1] = (char)('0' + frac % 10);
	n += (size_t)prec;
	sp.precision = -1;
	put_field(s, &sp, negative ? "-" : sp.plus ? "+" : sp.space ? " " : "", digits, n);
}

static void put_string(struct sink *s, const struct spec *sp, const char *text)
{
	if (!text)
		text = "(null)";
	size_t n = sp->precision >= 0 ? strnlen(text, (size_t)sp->precision) : strlen(text);
	struct spec plain = *sp;
	plain.precision = -1, plain.zero = false;
	put_field(s, &plain, "", text, n);
}

static size_t read_number(const char **p)
{
	size_t v = 0;
	while (**p >= '0' && **p <= '9')
		v = v * 10 + (size_t)(*(*p)++ - '0');
	return v;
}

int USHER_VFPRINTF(FILE *restrict f, const char *restrict fmt, va_list ap)
{
	int saved_errno = errno;
	struct sink s = {.file = f};
	for (const char *p = fmt; *p;) {
		const char *start = p;
		while (*p && *p != '%')
			p++;
		put(&s, start, (size_t)(p - start));
		if (!*p)
			break;
		p++;
		struct spec sp = {.precision = -1};
		for (;; p++) {
			if (*p == '-') sp.left = true;
			else if (*p == '+') sp.plus = true;
			else if (*p == ' ') sp.space = true;
			else if (*p == '#') sp.alt = true;
			else if (*p == '0') sp.zero = true;
			else break;
		}
		if (*p == '*') {
			int w = va_arg(ap, int);
			p++;
			sp.left |= w < 0;
			sp.width = w < 0 ? 0u - (size_t)w : (size_t)w;
		} else {
			sp.width = read_number(&p);
		}
		if (*p == '.') {
			p++;
			if (*p == '*') {
				p++;
				int prec = va_arg(ap, int);
				sp.precision = prec < 0 ? -1 : prec;
			} else {
				sp.precision = (int)read_number(&p);
			}
		}
		int longs = 0; /* h: -1, hh: -2, l: 1, ll/j/z/t: 2 (64-bit everywhere usher runs) */
		for (;; p++) {
			if (*p == 'h') longs--;
			else if (*p == 'l') longs++;
			else if (*p == 'j' || *p == 'z' || *p == 't' || *p == 'q') longs = 2;
			else if (*p == 'L') longs = 3;
			else break;
		}
		char conv = *p ? *p++ : 0;
		switch (conv) {
		case 'd': case 'i': {
			intmax_t v = longs >= 2 ? va_arg(ap, long long) : longs == 1 ? va_arg(ap, long) : va_arg(ap, int);
			if (longs == -1) v = (short)v;
			else if (longs <= -2) v = (signed char)v;
			put_integer(&s, sp, conv, v < 0 ? 0u - (uintmax_t)v : (uintmax_t)v, v < 0);
			break;
		}
		case 'u': case 'o': case 'x': case 'X': {
			uintmax_t v = longs >= 2 ? va_arg(ap, unsigned long long) : longs == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			if (longs == -1) v = (unsigned short)v;
			else if (longs <= -2) v = (unsigned char)v;
			put_integer(&s, sp, conv, v, false);
			break;
		}
		case 'p': {
			uintptr_t v = (uintptr_t)va_arg(ap, void *);
			sp.alt = true;
			if (v)
				put_integer(&s, sp, 'p', v, false);
			else
				put_integer(&s, sp, 'x', 0, false);
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			if (longs > 0)
				goto unsupported;
			sp.precision = -1, sp.zero = false;
			put_field(&s, &sp, "", &c, 1);
			break;
		}
		case 's':
			if (longs > 0)
				goto unsupported;
			put_string(&s, &sp, va_arg(ap, const char *));
			break;
		case 'm':
			put_string(&s, &sp, strerror(saved_errno));
			break;
		case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
			if (longs == 3)
				goto unsupported;
			put_double(&s, sp, va_arg(ap, double));
			break;
		case '%':
			put(&s, "%", 1);
			break;
		default:
		unsupported:
			put(&s, "%?", 2);
			if (!conv)
				goto done;
			break;
		}
	}
done:
	flush(&s);
	if (s.failed)
		return -1;
	return s.total > INT_MAX ? (errno = EOVERFLOW, -1) : (int)s.total;
}
