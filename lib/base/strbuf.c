#include "strbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

void
sb_add(struct strbuf *sb, const char *s, size_t n)
{
	if (sb->error != 0)
		return;
	if (n > sb->max - sb->len) {
		sb->error = -EINVAL;
		return;
	}
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap == 0 ? 1024 : sb->cap;
		char *p;

		while (cap < sb->len + n + 1)
			cap *= 2;
		p = realloc(sb->p, cap);
		if (p == NULL) {
			sb->error = -ENOMEM;
			return;
		}
		sb->p = p;
		sb->cap = cap;
	}
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

void
sb_str(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

/*
 * The conversions sb_printf() does itself: s, c, d/i and u with no length, l,
 * ll or z, and %%; no flag, width or precision.  Anything else: vsnprintf.
 */
static bool
fmt_simple(const char *fmt)
{
	for (const char *p = strchr(fmt, '%'); p != NULL; p = strchr(p + 1, '%')) {
		size_t len = p[1] == 'l' ? (p[2] == 'l' ? 2 : 1) : p[1] == 'z' ? 1 : 0;
		char conv = p[1 + len];

		if (conv == 'd' || conv == 'i' || conv == 'u')
			p += 1 + len;
		else if (len == 0 && (conv == 's' || conv == 'c' || conv == '%'))
			p++;
		else
			return false;
	}
	return true;
}

/* v in decimal at the end of buf[20]: its first digit. */
static char *
fmt_u64(char buf[20], unsigned long long v)
{
	char *p = buf + 20;

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return p;
}

static void
sb_number(struct strbuf *sb, unsigned long long v, bool negative)
{
	char buf[21], *p = fmt_u64(buf + 1, v);

	if (negative)
		*--p = '-';
	sb_add(sb, p, (size_t)(buf + 21 - p));
}

/* One conversion at *fmt (after its '%'): the characters it used. */
static size_t
sb_conversion(struct strbuf *sb, const char *fmt, va_list *ap)
{
	int len = 0; /* 0: int, 1: long, 2: long long, 3: size_t */
	const char *p = fmt;
	long long sv;
	char ch;

	if (*p == 'l')
		len = p[1] == 'l' ? 2 : 1;
	else if (*p == 'z')
		len = 3;
	p += len == 2 ? 2 : len != 0 ? 1 : 0;
	switch (*p) {
	case '%':
		sb_add(sb, "%", 1);
		break;
	case 's': {
		const char *s = va_arg(*ap, const char *);

		sb_str(sb, s != NULL ? s : "(null)"); /* as glibc's printf */
		break;
	}
	case 'c':
		ch = (char)va_arg(*ap, int);
		sb_add(sb, &ch, 1);
		break;
	case 'u':
		sb_number(sb,
		    len == 0   ? va_arg(*ap, unsigned)
		    : len == 1 ? va_arg(*ap, unsigned long)
		    : len == 2 ? va_arg(*ap, unsigned long long)
		               : va_arg(*ap, size_t),
		    false);
		break;
	default: /* d, i */
		sv = len == 0   ? va_arg(*ap, int)
		     : len == 1 ? va_arg(*ap, long)
		     : len == 2 ? va_arg(*ap, long long)
		                : va_arg(*ap, ssize_t);
		sb_number(
		    sb, sv < 0 ? 0ULL - (unsigned long long)sv : (unsigned long long)sv, sv < 0);
		break;
	}
	return (size_t)(p + 1 - fmt);
}

/* The format's text and simple conversions appended in place (fmt_simple(fmt)). */
static void
sb_vprintf_simple(struct strbuf *sb, const char *fmt, va_list *ap)
{
	while (*fmt != '\0') {
		const char *pct = strchr(fmt, '%');

		if (pct == NULL) {
			sb_str(sb, fmt);
			return;
		}
		sb_add(sb, fmt, (size_t)(pct - fmt));
		fmt = pct + 1;
		fmt += sb_conversion(sb, fmt, ap);
	}
}

__attribute__((format(printf, 2, 0))) static void
sb_vprintf_libc(struct strbuf *sb, const char *fmt, va_list ap)
{
	char small[512], *buf = small;
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= 0 && (size_t)n >= sizeof(small)) {
		if ((size_t)n > sb->max || (buf = malloc((size_t)n + 1)) == NULL) {
			if (sb->error == 0)
				sb->error = (size_t)n > sb->max ? -EINVAL : -ENOMEM;
			va_end(again);
			return;
		}
		n = vsnprintf(buf, (size_t)n + 1, fmt, again);
	}
	va_end(again);
	if (n < 0) {
		if (sb->error == 0)
			sb->error = -EINVAL;
	} else
		sb_add(sb, buf, (size_t)n);
	if (buf != small)
		free(buf);
}

/*
 * Most formats here are text with %s and %d: appended in place, without
 * vsnprintf (most of a generated script's cost when it printed them).
 */
void
sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (fmt_simple(fmt))
		sb_vprintf_simple(sb, fmt, &ap);
	else
		sb_vprintf_libc(sb, fmt, ap);
	va_end(ap);
}

int
sb_finish(struct strbuf *sb, char **ret)
{
	if (sb->error == 0 && sb->p == NULL)
		sb_add(sb, "", 0);
	if (sb->error != 0) {
		free(sb->p);
		sb->p = NULL;
		return sb->error;
	}
	*ret = sb->p;
	sb->p = NULL;
	return 0;
}
