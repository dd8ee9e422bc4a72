/*
 * Cloud-config validation (UTF-8, header line, libyaml event walk) and
 * serve-time templating.
 */
#include "cloud-config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "error.h"
#include "io.h"
#include "util.h"

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if invalid. */
static size_t
utf8_seq_len(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Valid UTF-8 without NUL; on failure reports the line and column. */
static int
check_utf8(const char *buf, size_t len, char **ret_error)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t line = 1, col = 1;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len(p + i, len - i);

		if (n == 0)
			return error_set(
			    ret_error, -EINVAL, "line %zu, column %zu: invalid UTF-8", line, col);
		if (p[i] == '\0')
			return error_set(
			    ret_error, -EINVAL, "line %zu, column %zu: NUL byte", line, col);
		if (p[i] == '\n')
			line++, col = 0;
		i += n;
		col++;
	}
	return 0;
}

static int
check_header(const char *buf, size_t len, char **ret_error)
{
	size_t h = strlen(CLOUD_CONFIG_HEADER);

	if (len < h || memcmp(buf, CLOUD_CONFIG_HEADER, h) != 0)
		return error_set(ret_error, -EINVAL,
		    "line 1: the first line is not \"" CLOUD_CONFIG_HEADER "\"");
	buf += h, len -= h;
	if (len > 0 && buf[0] == '\r')
		buf++, len--;
	if (len > 0 && buf[0] != '\n')
		return error_set(ret_error, -EINVAL,
		    "line 1: the first line is not exactly \"" CLOUD_CONFIG_HEADER "\"");
	return 0;
}

static int
yaml_fail(const yaml_parser_t *yp, char **ret_error)
{
	if (yp->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	return error_set(ret_error, -EINVAL, "line %zu, column %zu: invalid YAML: %s",
	    yp->problem_mark.line + 1, yp->problem_mark.column + 1,
	    yp->problem != NULL ? yp->problem : "error");
}

static bool
scalar_is_null(const yaml_event_t *e)
{
	const char *v = (const char *)e->data.scalar.value;

	if (e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return strcmp(v, "") == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

struct walk {
	unsigned events, depth, documents;
	bool want_top;  /* the next node event is a document's top level */
	char **anchors; /* defined in the current document, for alias checks */
	size_t n_anchors;
};

static void
walk_clear_anchors(struct walk *w)
{
	for (size_t i = 0; i < w->n_anchors; i++)
		free(w->anchors[i]);
	free(w->anchors);
	w->anchors = NULL;
	w->n_anchors = 0;
}

/* Remember an anchor (NULL: none); at most CLOUD_CONFIG_MAX_ANCHORS. */
static int
walk_anchor(struct walk *w, const yaml_char_t *anchor, size_t line, char **ret_error)
{
	char **na;

	if (anchor == NULL)
		return 0;
	if (w->n_anchors >= CLOUD_CONFIG_MAX_ANCHORS)
		return error_set(ret_error, -EINVAL, "line %zu: more than %u YAML anchors", line,
		    CLOUD_CONFIG_MAX_ANCHORS);
	if ((na = realloc(w->anchors, (w->n_anchors + 1) * sizeof(*na))) == NULL)
		return -ENOMEM;
	w->anchors = na;
	if ((na[w->n_anchors] = strdup((const char *)anchor)) == NULL)
		return -ENOMEM;
	w->n_anchors++;
	return 0;
}

static int
walk_alias(struct walk *w, const yaml_char_t *anchor, size_t line, size_t col, char **ret_error)
{
	for (size_t i = 0; i < w->n_anchors; i++)
		if (strcmp(w->anchors[i], (const char *)anchor) == 0)
			return 0;
	return error_set(
	    ret_error, -EINVAL, "line %zu, column %zu: alias to an undefined anchor", line, col);
}

/* Check one event against the rules; 0 to go on. */
static int
walk_event(struct walk *w, const yaml_event_t *e, char **ret_error)
{
	size_t line = e->start_mark.line + 1, col = e->start_mark.column + 1;

	if (++w->events > CLOUD_CONFIG_MAX_EVENTS)
		return error_set(ret_error, -EINVAL,
		    "line %zu: too many YAML nodes (more than %u events)", line,
		    CLOUD_CONFIG_MAX_EVENTS);
	switch (e->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++w->documents > 1)
			return error_set(
			    ret_error, -EINVAL, "line %zu: more than one YAML document", line);
		w->want_top = true;
		return 0;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		if (w->want_top && e->type != YAML_MAPPING_START_EVENT)
			goto not_mapping;
		w->want_top = false;
		if (++w->depth > CLOUD_CONFIG_MAX_DEPTH)
			return error_set(ret_error, -EINVAL,
			    "line %zu, column %zu: nested more than %u levels", line, col,
			    CLOUD_CONFIG_MAX_DEPTH);
		return walk_anchor(w,
		    e->type == YAML_MAPPING_START_EVENT ? e->data.mapping_start.anchor
		                                        : e->data.sequence_start.anchor,
		    line, ret_error);
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		w->depth--;
		return 0;
	case YAML_SCALAR_EVENT:
		if (w->want_top && !scalar_is_null(e))
			goto not_mapping;
		w->want_top = false;
		return walk_anchor(w, e->data.scalar.anchor, line, ret_error);
	case YAML_ALIAS_EVENT:
		if (w->want_top)
			goto not_mapping;
		return walk_alias(w, e->data.alias.anchor, line, col, ret_error);
	default:
		return 0;
	}
not_mapping:
	return error_set(
	    ret_error, -EINVAL, "line %zu, column %zu: the top level is not a mapping", line, col);
}

static int
check_yaml(const char *buf, size_t len, char **ret_error)
{
	struct walk w = {0};
	yaml_parser_t yp;
	yaml_event_t ev;
	int r = 0;

	if (!yaml_parser_initialize(&yp))
		return -ENOMEM;
	yaml_parser_set_input_string(&yp, (const unsigned char *)(len > 0 ? buf : ""), len);
	yaml_parser_set_encoding(&yp, YAML_UTF8_ENCODING);
	for (;;) {
		if (!yaml_parser_parse(&yp, &ev)) {
			r = yaml_fail(&yp, ret_error);
			break;
		}
		r = walk_event(&w, &ev, ret_error);
		bool end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (r < 0 || end)
			break;
	}
	yaml_parser_delete(&yp);
	walk_clear_anchors(&w);
	return r;
}

int
cloud_config_validate(const char *buf, size_t len, char **ret_error)
{
	int r;

	if (len > CLOUD_CONFIG_MAX)
		return error_set(ret_error, -EINVAL,
		    "%zu bytes is larger than the limit of %u bytes", len, CLOUD_CONFIG_MAX);
	if ((r = check_header(buf, len, ret_error)) < 0)
		return r;
	if ((r = check_utf8(buf, len, ret_error)) < 0)
		return r;
	return check_yaml(buf, len, ret_error);
}

void
cloud_config_hostname(const uint8_t mac[MAC_LEN], char buf[CLOUD_CONFIG_HOSTNAME_LEN])
{
	memcpy(buf, "kairos-", strlen("kairos-"));
	io_hex_encode(mac, MAC_LEN, buf + strlen("kairos-"));
}

/* An output buffer; with p == NULL it only counts. */
struct out {
	char *p;
	size_t len, cap;
};

static int
emit(struct out *o, const char *s, size_t n)
{
	if (o->cap - o->len < n)
		return -ENOBUFS;
	if (o->p != NULL && n > 0)
		memcpy(o->p + o->len, s, n);
	o->len += n;
	return 0;
}

/* The machine's label 'key' (n bytes), "" when it has none. */
static const char *
label_value(const struct fleet_labels *l, const char *key, size_t n)
{
	char k[FLEET_LABEL_KEY_MAX + 1];
	const char *v;

	memcpy(k, key, n);
	k[n] = '\0';
	v = l != NULL ? fleet_labels_get(l, k) : NULL;
	return v != NULL ? v : "";
}

/* The value of placeholder 'name' (n bytes), or NULL if it is not one of ours. */
static const char *
placeholder_value(const char *name, size_t n, const struct cloud_config_vars *v, char *tmp)
{
	if (n == 3 && memcmp(name, "mac", 3) == 0)
		mac_format(v->mac, ':', tmp);
	else if (n == 10 && memcmp(name, "mac_hyphen", 10) == 0)
		mac_format(v->mac, '-', tmp);
	else if (n == 8 && memcmp(name, "hostname", 8) == 0)
		cloud_config_hostname(v->mac, tmp);
	else if (n == 5 && memcmp(name, "image", 5) == 0)
		return v->image != NULL ? v->image : "";
	else if (n == 5 && memcmp(name, "group", 5) == 0)
		return v->group != NULL ? v->group : "";
	else if (n == 7 && memcmp(name, "profile", 7) == 0)
		return v->profile != NULL ? v->profile : "";
	else if (n > 7 && n - 7 <= FLEET_LABEL_KEY_MAX && memcmp(name, "labels.", 7) == 0)
		return label_value(v->labels, name + 7, n - 7);
	else
		return NULL;
	return tmp;
}

/* If s[0..] starts "{{ name }}" with a known name: its value and length consumed. */
static const char *
match_placeholder(
    const char *s, size_t left, const struct cloud_config_vars *v, char *tmp, size_t *ret_used)
{
	size_t i = 2, start, end;
	const char *val;

	while (i < left && (s[i] == ' ' || s[i] == '\t'))
		i++;
	start = i;
	while (i < left && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
	                       s[i] == '_' || s[i] == '.' || s[i] == '-' || s[i] == '/'))
		i++;
	end = i;
	while (i < left && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (left - i < 2 || s[i] != '}' || s[i + 1] != '}')
		return NULL;
	if ((val = placeholder_value(s + start, end - start, v, tmp)) == NULL)
		return NULL;
	*ret_used = i + 2;
	return val;
}

static int
render_pass(const char *t, size_t len, const struct cloud_config_vars *v, struct out *o)
{
	char tmp[CLOUD_CONFIG_HOSTNAME_LEN > MAC_STRLEN ? CLOUD_CONFIG_HOSTNAME_LEN : MAC_STRLEN];
	size_t i = 0, lit = 0;
	int r;

	while (i + 1 < len) {
		const char *val;
		size_t used;

		if (t[i] != '{' || t[i + 1] != '{' ||
		    (val = match_placeholder(t + i, len - i, v, tmp, &used)) == NULL) {
			i++;
			continue;
		}
		if ((r = emit(o, t + lit, i - lit)) < 0 || (r = emit(o, val, strlen(val))) < 0)
			return r;
		i += used;
		lit = i;
	}
	return emit(o, t + lit, len - lit);
}

int
cloud_config_render(const char *tmpl, size_t len, const struct cloud_config_vars *vars,
    size_t max_out, char **ret, size_t *ret_len)
{
	struct out o = {.cap = max_out};
	int r;

	if ((r = render_pass(tmpl, len, vars, &o)) < 0)
		return r;
	o = (struct out){.p = malloc(o.len + 1), .cap = o.len};
	if (o.p == NULL)
		return -ENOMEM;
	if ((r = render_pass(tmpl, len, vars, &o)) < 0) {
		free(o.p);
		return r;
	}
	o.p[o.len] = '\0';
	*ret = o.p;
	*ret_len = o.len;
	return 0;
}
