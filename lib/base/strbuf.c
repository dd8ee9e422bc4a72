#include "strbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void
sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	char small[512], *buf = small;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= sizeof(small)) {
		if ((size_t)n > sb->max || (buf = malloc((size_t)n + 1)) == NULL) {
			if (sb->error == 0)
				sb->error = (size_t)n > sb->max ? -EINVAL : -ENOMEM;
			return;
		}
		va_start(ap, fmt);
		n = vsnprintf(buf, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	if (n < 0) {
		if (sb->error == 0)
			sb->error = -EINVAL;
	} else
		sb_add(sb, buf, (size_t)n);
	if (buf != small)
		free(buf);
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
