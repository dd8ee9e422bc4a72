/*
 * The strict event walk of netbootd's YAML files (see yaml-reader.h).
 * Aliases and anchors are refused, which rules out the "billion laughs"
 * expansion; nesting is capped as well.
 */
#include "yaml-reader.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int
yaml_reader_check_size(const char *name, size_t len, size_t max, char **ret_error)
{
	if (len <= max)
		return 0;
	if (asprintf(ret_error, "%s: too large (%zu bytes, at most %zu)", name, len, max) < 0)
		return -ENOMEM;
	return -EINVAL;
}

int
yaml_reader_init(
    struct yaml_reader *r, const char *name, const char *buf, size_t len, unsigned max_depth)
{
	*r = (struct yaml_reader){.name = name, .buf = buf, .len = len, .max_depth = max_depth};
	if (!yaml_parser_initialize(&r->yp))
		return -ENOMEM;
	yaml_parser_set_input_string(&r->yp, (const unsigned char *)(len > 0 ? buf : ""), len);
	yaml_parser_set_encoding(&r->yp, YAML_UTF8_ENCODING);
	return 0;
}

int
yaml_reader_finish(struct yaml_reader *r, int ret, char **ret_error)
{
	yaml_event_delete(&r->ev);
	yaml_parser_delete(&r->yp);
	if (ret == -EINVAL && r->error != NULL)
		*ret_error = TAKE_PTR(r->error);
	free(r->error);
	r->error = NULL;
	return ret;
}

unsigned
yaml_reader_line(const struct yaml_reader *r)
{
	return (unsigned)r->ev.start_mark.line + 1;
}

int
yaml_reader_fail(struct yaml_reader *r, unsigned line, const char *key, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (r->error != NULL)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (asprintf(&r->error, "%s:%u: %s%s%s", r->name, line, key != NULL ? key : "",
	        key != NULL ? ": " : "", msg) < 0) {
		r->error = NULL;
		return -ENOMEM;
	}
	return -EINVAL;
}

const char *
yaml_reader_show(const char *s, size_t len, bool quote, char buf[static YAML_SHOW_BUF])
{
	size_t n = 0;

	if (quote)
		buf[n++] = '"';
	for (size_t i = 0; i < len && i < YAML_SHOW_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			n += (size_t)sprintf(buf + n, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			n += (size_t)sprintf(buf + n, "\\x%02x", ch);
		else
			buf[n++] = (char)ch;
	}
	if (len > YAML_SHOW_MAX)
		n += (size_t)sprintf(buf + n, "...");
	if (quote)
		buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

/* libyaml's own error, with the line it happened on. */
static int
fail_yaml(struct yaml_reader *r)
{
	const yaml_parser_t *yp = &r->yp;
	unsigned line = (unsigned)yp->problem_mark.line + 1;

	if (yp->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (yp->error == YAML_READER_ERROR) {
		line = 1;
		for (size_t i = 0; i < yp->problem_offset && i < r->len; i++)
			line += r->buf[i] == '\n';
	}
	if (yp->context != NULL)
		return yaml_reader_fail(r, line, NULL, "invalid YAML: %s %s",
		    yp->problem != NULL ? yp->problem : "error", yp->context);
	return yaml_reader_fail(
	    r, line, NULL, "invalid YAML: %s", yp->problem != NULL ? yp->problem : "error");
}

/* Refuse what these formats have no use for: aliases, anchors and tags. */
static int
check_event(struct yaml_reader *r)
{
	const yaml_event_t *e = &r->ev;
	const yaml_char_t *anchor = NULL, *tag = NULL;

	switch (e->type) {
	case YAML_ALIAS_EVENT:
		return yaml_reader_fail(
		    r, yaml_reader_line(r), NULL, "YAML aliases are not supported");
	case YAML_SCALAR_EVENT:
		anchor = e->data.scalar.anchor;
		tag = e->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = e->data.sequence_start.anchor;
		tag = e->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = e->data.mapping_start.anchor;
		tag = e->data.mapping_start.tag;
		break;
	default:
		return 0;
	}
	if (anchor != NULL)
		return yaml_reader_fail(
		    r, yaml_reader_line(r), NULL, "YAML anchors are not supported");
	if (tag != NULL)
		return yaml_reader_fail(
		    r, yaml_reader_line(r), NULL, "YAML tags are not supported");
	return 0;
}

int
yaml_reader_next(struct yaml_reader *r)
{
	yaml_event_delete(&r->ev);
	if (!yaml_parser_parse(&r->yp, &r->ev))
		return fail_yaml(r);
	if (r->ev.type == YAML_SEQUENCE_START_EVENT || r->ev.type == YAML_MAPPING_START_EVENT) {
		if (++r->depth > r->max_depth)
			return yaml_reader_fail(r, yaml_reader_line(r), NULL, "nested too deeply");
	} else if (r->ev.type == YAML_SEQUENCE_END_EVENT || r->ev.type == YAML_MAPPING_END_EVENT) {
		r->depth--;
	}
	return check_event(r);
}

/* The top-level node: a mapping, or nothing at all. */
static int
parse_root(struct yaml_reader *r, int (*root)(void *userdata), void *userdata)
{
	int ret = yaml_reader_next(r);

	if (ret < 0)
		return ret;
	if (yaml_reader_is_null(&r->ev))
		return 0;
	if (r->ev.type != YAML_MAPPING_START_EVENT)
		return yaml_reader_fail(r, yaml_reader_line(r), NULL,
		    "the top level must be a mapping, not %s", yaml_reader_kind(&r->ev));
	return root(userdata);
}

int
yaml_reader_document(struct yaml_reader *r, int (*root)(void *userdata), void *userdata)
{
	int ret;

	if ((ret = yaml_reader_next(r)) < 0 || (ret = yaml_reader_next(r)) < 0)
		return ret;
	if (r->ev.type == YAML_STREAM_END_EVENT)
		return 0;
	if ((ret = parse_root(r, root, userdata)) < 0)
		return ret;
	if ((ret = yaml_reader_next(r)) < 0 || (ret = yaml_reader_next(r)) < 0)
		return ret;
	if (r->ev.type == YAML_DOCUMENT_START_EVENT)
		return yaml_reader_fail(
		    r, yaml_reader_line(r), NULL, "only one YAML document is allowed");
	return 0;
}

const void *
yaml_reader_lookup(const void *table, size_t size, const char *name)
{
	for (const char *e = table; *(const char *const *)e != NULL; e += size)
		if (strcmp(*(const char *const *)e, name) == 0)
			return e;
	return NULL;
}

const char *
yaml_reader_kind(const yaml_event_t *e)
{
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		return "a scalar";
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	default:
		return "something else";
	}
}

bool
yaml_reader_is_null(const yaml_event_t *e)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (e->type != YAML_SCALAR_EVENT || e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(nulls); i++)
		if (strcmp((const char *)e->data.scalar.value, nulls[i]) == 0)
			return true;
	return false;
}

bool
yaml_reader_has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

int
yaml_reader_decimal(const char *s, size_t len, bool *ret_neg, unsigned long long *ret)
{
	unsigned long long v = 0;
	bool neg = len > 0 && s[0] == '-';
	size_t i = neg ? 1 : 0;

	if (i == len || (s[i] == '0' && len - i > 1))
		return -EBADMSG;
	for (; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9')
			return -EBADMSG;
		v = v > (ULLONG_MAX - d) / 10 ? ULLONG_MAX : v * 10 + d;
	}
	*ret_neg = neg;
	*ret = v;
	return 0;
}
