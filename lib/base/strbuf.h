/*
 * A growing string with a hard cap, for generated text (boot scripts):
 * every append after an error is a no-op, and the first error is what
 * strbuf_finish() returns.
 */
#ifndef NETBOOTD_STRBUF_H
#define NETBOOTD_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *p;
	size_t len, cap;
	size_t max; /* the cap on len: beyond it, -EINVAL */
	int error;
};

#define STRBUF_INIT(max_len)                                                                       \
	{                                                                                          \
		.p = NULL, .len = 0, .cap = 0, .max = (max_len), .error = 0                        \
	}

/* A buffer of the caller's (no growth, no sb_finish()): at most size - 1 bytes, NUL-terminated. */
#define STRBUF_FIXED(buf, size)                                                                    \
	{                                                                                          \
		.p = (buf), .len = 0, .cap = (size), .max = (size)-1, .error = 0                   \
	}

void sb_add(struct strbuf *sb, const char *s, size_t n);
void sb_str(struct strbuf *sb, const char *s);
/* %s, %c, %d, %i, %u (with l, ll, z) and %% without vsnprintf; anything else through it. */
__attribute__((format(printf, 2, 3))) void sb_printf(struct strbuf *sb, const char *fmt, ...);
/* Hand the string over (0 and *ret, "" when nothing was added), or free it and return the error. */
int sb_finish(struct strbuf *sb, char **ret);

#endif
