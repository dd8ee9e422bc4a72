#include "cloud-config-stages.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "error.h"
#include "util.h"

#define HEADER "#cloud-config\n"

static int
bad(char **ret_error, size_t line, const char *what)
{
	return error_set(ret_error, -EBADMSG, "line %zu: %s", line + 1, what);
}

static bool
scalar_is(const yaml_node_t *n, const char *s)
{
	return n != NULL && n->type == YAML_SCALAR_NODE && n->data.scalar.length == strlen(s) &&
	       memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

/* A null value: "~", "null", "Null", "NULL" or nothing, plain. */
static bool
is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(nulls); i++)
		if (scalar_is(n, nulls[i]))
			return true;
	return false;
}

/* The pair of mapping 'map' whose key is 'key', NULL if none. */
static yaml_node_pair_t *
find_pair(yaml_document_t *d, int map, const char *key)
{
	yaml_node_t *m = yaml_document_get_node(d, map);

	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
		if (scalar_is(yaml_document_get_node(d, p->key), key))
			return p;
	return NULL;
}

static int
add_scalar(yaml_document_t *d, const char *s)
{
	return yaml_document_add_scalar(
	    d, NULL, (yaml_char_t *)s, (int)strlen(s), YAML_PLAIN_SCALAR_STYLE);
}

/*
 * The node under 'key' of mapping 'map', of type 'want' (created when
 * absent or null); 0 when it has another type.
 */
static int
child(yaml_document_t *d, int map, const char *key, yaml_node_type_t want)
{
	yaml_node_pair_t *p = find_pair(d, map, key);
	yaml_node_t *v;
	int id, k;

	if (p != NULL) {
		v = yaml_document_get_node(d, p->value);
		if (v->type == want)
			return p->value;
		if (!is_null(v))
			return 0;
	}
	id = want == YAML_MAPPING_NODE
	         ? yaml_document_add_mapping(d, NULL, YAML_BLOCK_MAPPING_STYLE)
	         : yaml_document_add_sequence(d, NULL, YAML_BLOCK_SEQUENCE_STYLE);
	if (id == 0)
		return -ENOMEM;
	if (p != NULL) {
		p->value = id; /* find_pair's pointer: no node was added to the mapping since */
		return id;
	}
	if ((k = add_scalar(d, key)) == 0 || !yaml_document_append_mapping_pair(d, map, k, id))
		return -ENOMEM;
	return id;
}

/* {name: NAME, commands: [...]} appended to the sequence 'seq'. */
static int
add_step(yaml_document_t *d, int seq, const struct cloud_config_step *s)
{
	int step = yaml_document_add_mapping(d, NULL, YAML_BLOCK_MAPPING_STYLE), cmds, k, v;

	if (step == 0 || (k = add_scalar(d, "name")) == 0 || (v = add_scalar(d, s->name)) == 0 ||
	    !yaml_document_append_mapping_pair(d, step, k, v) ||
	    (cmds = yaml_document_add_sequence(d, NULL, YAML_BLOCK_SEQUENCE_STYLE)) == 0 ||
	    (k = add_scalar(d, "commands")) == 0 ||
	    !yaml_document_append_mapping_pair(d, step, k, cmds))
		return -ENOMEM;
	for (size_t i = 0; i < CLOUD_CONFIG_STEP_COMMANDS && s->commands[i] != NULL; i++)
		if ((v = add_scalar(d, s->commands[i])) == 0 ||
		    !yaml_document_append_sequence_item(d, cmds, v))
			return -ENOMEM;
	return yaml_document_append_sequence_item(d, seq, step) ? 0 : -ENOMEM;
}

static int
add_steps(yaml_document_t *d, const struct cloud_config_step *steps, size_t n, char **ret_error)
{
	yaml_node_t *root = yaml_document_get_root_node(d);
	int stages, seq;

	if (root == NULL && yaml_document_add_mapping(d, NULL, YAML_BLOCK_MAPPING_STYLE) == 0)
		return -ENOMEM;
	root = yaml_document_get_root_node(d);
	if (root->type != YAML_MAPPING_NODE)
		return bad(ret_error, root->start_mark.line, "the cloud-config is not a mapping");
	stages = child(d, 1, "stages", YAML_MAPPING_NODE);
	if (stages == 0)
		return bad(ret_error,
		    yaml_document_get_node(d, find_pair(d, 1, "stages")->value)->start_mark.line,
		    "\"stages\" is not a mapping");
	if (stages < 0)
		return stages;
	for (size_t i = 0; i < n; i++) {
		seq = child(d, stages, steps[i].stage, YAML_SEQUENCE_NODE);
		if (seq == 0)
			return error_set(
			    ret_error, -EBADMSG, "stages.%s is not a list", steps[i].stage);
		if (seq < 0 || add_step(d, seq, &steps[i]) < 0)
			return -ENOMEM;
	}
	return 0;
}

struct out {
	char *buf;
	size_t len, max;
	bool too_big;
};

static int
write_out(void *data, unsigned char *buf, size_t size)
{
	struct out *o = data;
	char *p;

	if (size > o->max - o->len) {
		o->too_big = true;
		return 0;
	}
	if ((p = realloc(o->buf, o->len + size + 1)) == NULL)
		return 0;
	memcpy(p + o->len, buf, size);
	o->buf = p;
	o->len += size;
	o->buf[o->len] = '\0';
	return 1;
}

/* Emit the document (yaml_emitter_dump deletes it) after 'head' (len bytes). */
static int
emit(yaml_document_t *d, const char *head, size_t len, size_t max, char **ret, size_t *ret_len)
{
	struct out o = {.max = max};
	yaml_emitter_t e;
	bool ok;

	if (max < len) {
		yaml_document_delete(d);
		return -E2BIG;
	}
	if (write_out(&o, (unsigned char *)head, len) == 0) {
		yaml_document_delete(d);
		return -ENOMEM;
	}
	if (!yaml_emitter_initialize(&e)) {
		yaml_document_delete(d);
		free(o.buf);
		return -ENOMEM;
	}
	yaml_emitter_set_output(&e, write_out, &o);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	d->start_implicit = 1, d->end_implicit = 1; /* no "---" or "..." */
	ok = yaml_emitter_open(&e) && yaml_emitter_dump(&e, d) && yaml_emitter_close(&e) &&
	     yaml_emitter_flush(&e);
	yaml_emitter_delete(&e);
	if (!ok) {
		free(o.buf);
		return o.too_big ? -E2BIG : -ENOMEM;
	}
	*ret = o.buf;
	*ret_len = o.len;
	return 0;
}

/* Load the one document of 'in'; a second one is refused. */
static int
load(const char *in, size_t len, yaml_document_t *d, char **ret_error)
{
	yaml_parser_t p;
	yaml_document_t next;
	int r = 0;

	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)in, len);
	if (!yaml_parser_load(&p, d)) {
		r = error_set(ret_error, -EBADMSG, "line %zu: %s", p.problem_mark.line + 1,
		    p.problem != NULL ? p.problem : "not YAML");
		yaml_parser_delete(&p);
		return r;
	}
	if (!yaml_parser_load(&p, &next))
		r = error_set(ret_error, -EBADMSG, "line %zu: %s", p.problem_mark.line + 1,
		    p.problem != NULL ? p.problem : "not YAML");
	else {
		if (yaml_document_get_root_node(&next) != NULL)
			r = error_set(ret_error, -EBADMSG, "more than one YAML document");
		yaml_document_delete(&next);
	}
	if (r < 0)
		yaml_document_delete(d);
	yaml_parser_delete(&p);
	return r;
}

/*
 * Whether the steps can go after the text as it is: a block mapping (or
 * nothing) without "stages", the document not ended by "...".
 */
static bool
appendable(yaml_document_t *d)
{
	yaml_node_t *root = yaml_document_get_root_node(d);

	if (root == NULL) /* only comments: an empty stream */
		return true;
	if (!d->end_implicit)
		return false;
	return (root->type == YAML_MAPPING_NODE &&
	        root->data.mapping.style == YAML_BLOCK_MAPPING_STYLE &&
	        root->start_mark.column == 0 && find_pair(d, 1, "stages") == NULL);
}

/* The text as it is, then a document holding only the steps (without its header). */
static int
append_steps(const char *in, size_t len, const struct cloud_config_step *steps, size_t n_steps,
    size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *head = NULL;
	yaml_document_t d;
	size_t hlen = len;
	int r;

	if (!yaml_document_initialize(&d, NULL, NULL, NULL, 1, 1))
		return -ENOMEM;
	if ((head = malloc(len + 2)) == NULL) {
		yaml_document_delete(&d);
		return -ENOMEM;
	}
	memcpy(head, in, len);
	if (len > 0 && in[len - 1] != '\n')
		head[hlen++] = '\n';
	r = add_steps(&d, steps, n_steps, NULL);
	if (r < 0) {
		yaml_document_delete(&d);
		return r;
	}
	return emit(&d, head, hlen, max, ret, ret_len);
}

int
cloud_config_add_steps(const char *in, size_t len, const struct cloud_config_step *steps,
    size_t n_steps, size_t max, char **ret, size_t *ret_len, char **ret_error)
{
	yaml_document_t d;
	int r;

	if ((r = load(in, len, &d, ret_error)) < 0)
		return r;
	if (appendable(&d) && len >= sizeof(HEADER) - 1 &&
	    memcmp(in, HEADER, sizeof(HEADER) - 1) == 0) {
		yaml_document_t check;

		r = append_steps(in, len, steps, n_steps, max, ret, ret_len);
		/* Kept only when it still is one document (it always should be). */
		if (r < 0 || load(*ret, *ret_len, &check, NULL) == 0) {
			if (r == 0)
				yaml_document_delete(&check);
			yaml_document_delete(&d);
			return r;
		}
		free(*ret);
	}
	r = add_steps(&d, steps, n_steps, ret_error);
	if (r < 0) {
		yaml_document_delete(&d);
		return r;
	}
	return emit(&d, HEADER, sizeof(HEADER) - 1, max, ret, ret_len);
}
