/*
 * The strict libyaml event walk that netbootd.yaml(5) and the fleet file
 * (netbootd-fleet(5)) share: one event at a time, aliases, anchors and tags
 * refused, nesting capped, the first error kept as "NAME:LINE: KEY: what".
 * The parsers on top know the shape of their documents, so they never skip
 * or build a tree.
 */
#ifndef NETBOOTD_YAML_READER_H
#define NETBOOTD_YAML_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#define YAML_SHOW_MAX 64                      /* bytes of a bad value quoted in a message */
#define YAML_SHOW_BUF (YAML_SHOW_MAX * 4 + 8) /* room for yaml_reader_show() */

struct yaml_reader {
	yaml_parser_t yp;
	yaml_event_t ev; /* the current event */
	const char *name;
	const char *buf;
	size_t len;
	unsigned depth, max_depth;
	char *error; /* the first error */
};

/* A document of 'len' bytes: 0, or -EINVAL and "NAME: too large (LEN bytes, at most MAX)". */
int yaml_reader_check_size(const char *name, size_t len, size_t max, char **ret_error);
/* Read 'len' bytes of 'buf'; 'name' prefixes messages.  -ENOMEM. */
int yaml_reader_init(
    struct yaml_reader *r, const char *name, const char *buf, size_t len, unsigned max_depth);
/*
 * Free the reader and pass on 'ret': for -EINVAL the message moves to
 * *ret_error (when there is one).  Returns 'ret'.
 */
int yaml_reader_finish(struct yaml_reader *r, int ret, char **ret_error);

/* The line of the current event, from 1. */
unsigned yaml_reader_line(const struct yaml_reader *r);
/* Record the first error as "name:line: key: message" (no "key: " for NULL); -EINVAL. */
int yaml_reader_fail(struct yaml_reader *r, unsigned line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The next event, checked: depth, no alias, anchor or tag.  0 or -EINVAL, -ENOMEM. */
int yaml_reader_next(struct yaml_reader *r);
/*
 * STREAM-START [DOCUMENT-START root DOCUMENT-END] STREAM-END: 'root' is
 * called on the top-level MAPPING-START (an empty or null document is
 * fine; anything but a mapping is an error), and a second document is
 * refused.
 */
int yaml_reader_document(struct yaml_reader *r, int (*root)(void *userdata), void *userdata);

/*
 * The entry named 'name' of a key table: elements of 'size' bytes that start
 * with their name (a const char *), the last one named NULL.  NULL if absent.
 */
const void *yaml_reader_lookup(const void *table, size_t size, const char *name);

/* "a scalar", "a list", "a mapping", for "expected X, not Y". */
const char *yaml_reader_kind(const yaml_event_t *e);
/* A plain "", "~", "null", "Null" or "NULL". */
bool yaml_reader_is_null(const yaml_event_t *e);

/*
 * A value fit for an error message: printable ASCII as is, other bytes as
 * \xNN, at most YAML_SHOW_MAX bytes of it, in double quotes if 'quote'.
 */
const char *yaml_reader_show(const char *s, size_t len, bool quote, char buf[static YAML_SHOW_BUF]);
bool yaml_reader_has_control(const char *s, size_t len);
/*
 * A decimal integer: "0" or [1-9][0-9]*, optionally negative.  Values beyond
 * ULLONG_MAX saturate.  -EBADMSG for anything else (hex, octal-looking
 * leading zeros, signs, spaces, exponents, trailing junk).
 */
int yaml_reader_decimal(const char *s, size_t len, bool *ret_neg, unsigned long long *ret);

#endif
