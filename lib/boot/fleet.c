/*
 * The fleet's memory, order and rules (fleet.h): labels, deep copies,
 * sorting and binary searches, a fleet file merged over the running fleet,
 * and fleet_validate(), the whole-fleet check that guards every change.
 * The value and selector functions (names, globs, UUIDs, specificity,
 * overlap) are fleet-match.c's.
 *
 * The four arrays of a fleet are handled alike through one table of their
 * kinds (struct kind): element size, where the array and its length live in
 * struct fleet, and the element's compare and equal (copy and clear by kind).
 */
#include "fleet.h"

#include "boot-policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud-config.h"
#include "error.h"
#include "ipxe-script.h"
#include "text.h"
#include "util.h"

#define WHAT_MAX 96 /* "profile \"<64 characters>\"" */

/* ---- strings ---- */

static bool
streq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* *ret = a copy of s, or NULL for NULL; -ENOMEM. */
static int
dup_str(const char *s, char **ret)
{
	*ret = s != NULL ? strdup(s) : NULL;
	return s != NULL && *ret == NULL ? -ENOMEM : 0;
}

/* ---- labels ---- */

/* The index of 'key' in l, or where it would go (*ret_found false): at most 32 to look at. */
static size_t
labels_index(const struct fleet_labels *l, const char *key, bool *ret_found)
{
	size_t i = 0;
	int c = 1;

	while (i < l->n && (c = strcmp(l->v[i].key, key)) < 0)
		i++;
	*ret_found = i < l->n && c == 0;
	return i;
}

void
fleet_labels_clear(struct fleet_labels *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	*l = (struct fleet_labels){0};
}

int
fleet_labels_copy(const struct fleet_labels *src, struct fleet_labels *dst)
{
	struct fleet_labels l = {0};

	if (src->n > 0 && (l.v = calloc(src->n, sizeof(*l.v))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < src->n; i++) {
		l.v[i].key = strdup(src->v[i].key);
		l.v[i].value = strdup(src->v[i].value);
		l.n = i + 1;
		if (l.v[i].key == NULL || l.v[i].value == NULL) {
			fleet_labels_clear(&l);
			return -ENOMEM;
		}
	}
	*dst = l;
	return 0;
}

/* Insert key=value (both taken) at i. */
static int
labels_insert(struct fleet_labels *l, size_t i, char *key, char *value)
{
	struct fleet_label *v;

	if (l->n >= FLEET_MAX_LABELS)
		return -E2BIG;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	memmove(v + i + 1, v + i, (l->n - i) * sizeof(*v));
	v[i] = (struct fleet_label){.key = key, .value = value};
	l->v = v;
	l->n++;
	return 0;
}

int
fleet_labels_set(struct fleet_labels *l, const char *key, const char *value)
{
	_cleanup_free_ char *k = NULL, *v = NULL;
	bool found;
	size_t i;
	int r;

	if (!fleet_label_key_valid(key) || !fleet_label_value_valid(value))
		return -EINVAL;
	i = labels_index(l, key, &found);
	if (!found && l->n >= FLEET_MAX_LABELS)
		return -E2BIG;
	if ((v = strdup(value)) == NULL || (!found && (k = strdup(key)) == NULL))
		return -ENOMEM;
	if (found) {
		free(l->v[i].value);
		l->v[i].value = TAKE_PTR(v);
		return 0;
	}
	r = labels_insert(l, i, k, v);
	if (r < 0)
		return r;
	k = v = NULL;
	return 0;
}

int
fleet_labels_remove(struct fleet_labels *l, const char *key)
{
	bool found;
	size_t i = labels_index(l, key, &found);

	if (!found)
		return -ENOENT;
	free(l->v[i].key);
	free(l->v[i].value);
	memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof(*l->v));
	if (--l->n == 0) {
		free(l->v);
		l->v = NULL;
	}
	return 0;
}

const char *
fleet_labels_get(const struct fleet_labels *l, const char *key)
{
	bool found;
	size_t i = labels_index(l, key, &found);

	return found ? l->v[i].value : NULL;
}

static bool
labels_equal(const struct fleet_labels *a, const struct fleet_labels *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].key, b->v[i].key) != 0 ||
		    strcmp(a->v[i].value, b->v[i].value) != 0)
			return false;
	return true;
}

/* ---- profiles, groups, machines, configs ---- */

void
fleet_profile_clear(struct fleet_profile *p)
{
	free(p->name);
	free(p->image);
	free(p->config);
	free(p->cmdline);
	free(p->loader);
	*p = (struct fleet_profile){0};
}

int
fleet_profile_copy(const struct fleet_profile *src, struct fleet_profile *dst)
{
	struct fleet_profile p = {.cmdline_mode = src->cmdline_mode,
	    .action = src->action,
	    .netconsole = src->netconsole,
	    .no_report = src->no_report,
	    .after_install = src->after_install,
	    .line = src->line};

	if (dup_str(src->name, &p.name) < 0 || dup_str(src->image, &p.image) < 0 ||
	    dup_str(src->config, &p.config) < 0 || dup_str(src->cmdline, &p.cmdline) < 0 ||
	    dup_str(src->loader, &p.loader) < 0) {
		fleet_profile_clear(&p);
		return -ENOMEM;
	}
	*dst = p;
	return 0;
}

void
fleet_match_clear(struct fleet_match *m)
{
	free(m->mac);
	free(m->interface);
	fleet_labels_clear(&m->labels);
	*m = (struct fleet_match){0};
}

void
fleet_group_clear(struct fleet_group *g)
{
	free(g->name);
	free(g->profile);
	fleet_match_clear(&g->match);
	*g = (struct fleet_group){0};
}

int
fleet_group_copy(const struct fleet_group *src, struct fleet_group *dst)
{
	struct fleet_group g = {.priority = src->priority, .line = src->line};

	g.match = (struct fleet_match){.has_uuid = src->match.has_uuid, .arch = src->match.arch};
	memcpy(g.match.uuid, src->match.uuid, sizeof(g.match.uuid));
	if (dup_str(src->name, &g.name) < 0 || dup_str(src->profile, &g.profile) < 0 ||
	    dup_str(src->match.mac, &g.match.mac) < 0 ||
	    dup_str(src->match.interface, &g.match.interface) < 0 ||
	    fleet_labels_copy(&src->match.labels, &g.match.labels) < 0) {
		fleet_group_clear(&g);
		return -ENOMEM;
	}
	*dst = g;
	return 0;
}

void
fleet_machine_clear(struct fleet_machine *m)
{
	fleet_labels_clear(&m->labels);
	free(m->profile);
	free(m->image);
	free(m->config);
	free(m->cmdline);
	*m = (struct fleet_machine){0};
}

int
fleet_machine_copy(const struct fleet_machine *src, struct fleet_machine *dst)
{
	struct fleet_machine m = {.cmdline_mode = src->cmdline_mode, .line = src->line};

	memcpy(m.mac, src->mac, MAC_LEN);
	if (fleet_labels_copy(&src->labels, &m.labels) < 0 ||
	    dup_str(src->profile, &m.profile) < 0 || dup_str(src->image, &m.image) < 0 ||
	    dup_str(src->config, &m.config) < 0 || dup_str(src->cmdline, &m.cmdline) < 0) {
		fleet_machine_clear(&m);
		return -ENOMEM;
	}
	*dst = m;
	return 0;
}

void
fleet_config_clear(struct fleet_config *c)
{
	free(c->name);
	free(c->content);
	*c = (struct fleet_config){0};
}

static int
config_copy(const struct fleet_config *src, struct fleet_config *dst)
{
	struct fleet_config c = {.len = src->len, .line = src->line};

	if (dup_str(src->name, &c.name) < 0 ||
	    (src->content != NULL && (c.content = malloc(src->len + 1)) == NULL)) {
		fleet_config_clear(&c);
		return -ENOMEM;
	}
	if (src->content != NULL) {
		memcpy(c.content, src->content, src->len);
		c.content[src->len] = '\0';
	}
	*dst = c;
	return 0;
}

/* A command line without one is the same whatever its mode says. */
static bool
cmdline_equal(const char *a, enum boot_cmdline_mode ma, const char *b, enum boot_cmdline_mode mb)
{
	return streq(a, b) && (a == NULL || ma == mb);
}

static bool
profile_equal(const void *pa, const void *pb)
{
	const struct fleet_profile *a = pa, *b = pb;

	return streq(a->name, b->name) && streq(a->image, b->image) &&
	       streq(a->config, b->config) &&
	       cmdline_equal(a->cmdline, a->cmdline_mode, b->cmdline, b->cmdline_mode) &&
	       streq(a->loader, b->loader) && a->action == b->action &&
	       a->netconsole == b->netconsole && a->no_report == b->no_report &&
	       a->after_install == b->after_install;
}

static bool
match_equal(const struct fleet_match *a, const struct fleet_match *b)
{
	return streq(a->mac, b->mac) && a->has_uuid == b->has_uuid &&
	       (!a->has_uuid || memcmp(a->uuid, b->uuid, FLEET_UUID_LEN) == 0) &&
	       a->arch == b->arch && streq(a->interface, b->interface) &&
	       labels_equal(&a->labels, &b->labels);
}

static bool
group_equal(const void *ga, const void *gb)
{
	const struct fleet_group *a = ga, *b = gb;

	return streq(a->name, b->name) && match_equal(&a->match, &b->match) &&
	       streq(a->profile, b->profile) && a->priority == b->priority;
}

static bool
machine_equal(const void *ma, const void *mb)
{
	const struct fleet_machine *a = ma, *b = mb;

	return memcmp(a->mac, b->mac, MAC_LEN) == 0 && labels_equal(&a->labels, &b->labels) &&
	       streq(a->profile, b->profile) && streq(a->image, b->image) &&
	       streq(a->config, b->config) &&
	       cmdline_equal(a->cmdline, a->cmdline_mode, b->cmdline, b->cmdline_mode);
}

static bool
config_equal(const void *ca, const void *cb)
{
	const struct fleet_config *a = ca, *b = cb;

	return streq(a->name, b->name) && a->len == b->len &&
	       (a->content == b->content || (a->content != NULL && b->content != NULL &&
	                                        memcmp(a->content, b->content, a->len) == 0));
}

/* ---- the four kinds ---- */

/* Profiles, groups and configs start with their name; machines with their MAC. */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
mac_cmp(const void *a, const void *b)
{
	return memcmp(a, b, MAC_LEN);
}

struct kind {
	const char *noun;
	size_t size, max;
	size_t v_offset, n_offset; /* of the array and its length in struct fleet */
	size_t line_offset;        /* of 'line' in the element */
	int (*cmp)(const void *a, const void *b);
	bool (*equal)(const void *a, const void *b);
};

#define KIND(noun, type, array, max, cmp, equal)                                                   \
	{                                                                                          \
		noun, sizeof(type), max, offsetof(struct fleet, array),                            \
		    offsetof(struct fleet, n_##array), offsetof(type, line), cmp, equal            \
	}

enum { KIND_PROFILES, KIND_GROUPS, KIND_MACHINES, KIND_CONFIGS, _KIND_MAX };

static const struct kind kinds[_KIND_MAX] = {
    [KIND_PROFILES] = KIND(
        "profile", struct fleet_profile, profiles, FLEET_MAX_PROFILES, name_cmp, profile_equal),
    [KIND_GROUPS] =
        KIND("group", struct fleet_group, groups, FLEET_MAX_GROUPS, name_cmp, group_equal),
    [KIND_MACHINES] =
        KIND("machine", struct fleet_machine, machines, FLEET_MAX_MACHINES, mac_cmp, machine_equal),
    [KIND_CONFIGS] = KIND("config", struct fleet_config, configs, SIZE_MAX, name_cmp, config_equal),
};

static int
item_copy(const struct kind *k, const void *src, void *dst)
{
	switch (k - kinds) {
	case KIND_PROFILES:
		return fleet_profile_copy(src, dst);
	case KIND_GROUPS:
		return fleet_group_copy(src, dst);
	case KIND_MACHINES:
		return fleet_machine_copy(src, dst);
	default:
		return config_copy(src, dst);
	}
}

static void
item_clear(const struct kind *k, void *item)
{
	switch (k - kinds) {
	case KIND_PROFILES:
		fleet_profile_clear(item);
		break;
	case KIND_GROUPS:
		fleet_group_clear(item);
		break;
	case KIND_MACHINES:
		fleet_machine_clear(item);
		break;
	default:
		fleet_config_clear(item);
	}
}

static void *
kind_items(const struct fleet *f, const struct kind *k)
{
	return *(void *const *)((const char *)f + k->v_offset);
}

static size_t
kind_count(const struct fleet *f, const struct kind *k)
{
	return *(const size_t *)((const char *)f + k->n_offset);
}

static void
kind_set(struct fleet *f, const struct kind *k, void *v, size_t n)
{
	*(void **)((char *)f + k->v_offset) = v;
	*(size_t *)((char *)f + k->n_offset) = n;
}

static void *
item_at(const struct kind *k, const void *v, size_t i)
{
	return (char *)v + i * k->size;
}

static unsigned
item_line(const struct kind *k, const void *item)
{
	return *(const unsigned *)((const char *)item + k->line_offset);
}

/* 'profile "kairos"', 'machine 52:54:00:aa:bb:01'; a bad name is not shown. */
static const char *
item_what(const struct kind *k, const void *item, char buf[static WHAT_MAX])
{
	char mac[MAC_STRLEN];

	if (k->cmp == mac_cmp) {
		mac_format(item, ':', mac);
		snprintf(buf, WHAT_MAX, "%s %s", k->noun, mac);
	} else if (name_valid(*(char *const *)item)) {
		snprintf(buf, WHAT_MAX, "%s \"%s\"", k->noun, *(char *const *)item);
	} else {
		snprintf(buf, WHAT_MAX, "%s with an invalid name", k->noun);
	}
	return buf;
}

static void
items_free(const struct kind *k, void *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		item_clear(k, item_at(k, v, i));
	free(v);
}

/* A copy of each of the 'count' elements of src appended to v[*n]; *n counts the copies. */
static int
items_append(const struct kind *k, void *v, size_t *n, const void *src, size_t count)
{
	for (size_t i = 0; i < count; i++, (*n)++)
		if (item_copy(k, item_at(k, src, i), item_at(k, v, *n)) < 0)
			return -ENOMEM;
	return 0;
}

/* ---- the fleet ---- */

void
fleet_clear(struct fleet *f)
{
	for (size_t i = 0; i < _KIND_MAX; i++)
		items_free(&kinds[i], kind_items(f, &kinds[i]), kind_count(f, &kinds[i]));
	*f = (struct fleet){0};
}

/* *dst is overwritten, not cleared first; on failure it is untouched. */
int
fleet_copy(const struct fleet *src, struct fleet *dst)
{
	struct fleet f = {0};

	for (size_t i = 0; i < _KIND_MAX; i++) {
		const struct kind *k = &kinds[i];
		size_t count = kind_count(src, k), n = 0;
		void *v = count > 0 ? calloc(count, k->size) : NULL;

		if ((count > 0 && v == NULL) ||
		    items_append(k, v, &n, kind_items(src, k), count) < 0) {
			items_free(k, v, n);
			fleet_clear(&f);
			return -ENOMEM;
		}
		kind_set(&f, k, v, n);
	}
	*dst = f;
	return 0;
}

void
fleet_sort(struct fleet *f)
{
	for (size_t i = 0; i < _KIND_MAX; i++)
		if (kind_count(f, &kinds[i]) > 1)
			qsort(kind_items(f, &kinds[i]), kind_count(f, &kinds[i]), kinds[i].size,
			    kinds[i].cmp);
}

static const void *
find(const struct fleet *f, const struct kind *k, const void *key)
{
	if (kind_count(f, k) == 0)
		return NULL;
	return bsearch(key, kind_items(f, k), kind_count(f, k), k->size, k->cmp);
}

const struct fleet_profile *
fleet_profile_find(const struct fleet *f, const char *name)
{
	const struct fleet_profile key = {.name = (char *)name};

	return find(f, &kinds[KIND_PROFILES], &key);
}

const struct fleet_group *
fleet_group_find(const struct fleet *f, const char *name)
{
	const struct fleet_group key = {.name = (char *)name};

	return find(f, &kinds[KIND_GROUPS], &key);
}

const struct fleet_machine *
fleet_machine_find(const struct fleet *f, const uint8_t mac[MAC_LEN])
{
	struct fleet_machine key = {.line = 0};

	memcpy(key.mac, mac, MAC_LEN);
	return find(f, &kinds[KIND_MACHINES], &key);
}

const struct fleet_config *
fleet_config_find(const struct fleet *f, const char *name)
{
	const struct fleet_config key = {.name = (char *)name};

	return find(f, &kinds[KIND_CONFIGS], &key);
}

bool
fleet_equal(const struct fleet *a, const struct fleet *b)
{
	for (size_t i = 0; i < _KIND_MAX; i++) {
		const struct kind *k = &kinds[i];

		if (kind_count(a, k) != kind_count(b, k))
			return false;
		for (size_t j = 0; j < kind_count(a, k); j++)
			if (!k->equal(
			        item_at(k, kind_items(a, k), j), item_at(k, kind_items(b, k), j)))
				return false;
	}
	return true;
}

/* The union of two sorted arrays into v[*n]; where both have an element, b's. */
static int
items_merge(
    const struct kind *k, const void *a, size_t na, const void *b, size_t nb, void *v, size_t *n)
{
	size_t i = 0, j = 0;

	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : k->cmp(item_at(k, a, i), item_at(k, b, j));

		if (c == 0)
			i++;
		if (c < 0 ? items_append(k, v, n, item_at(k, a, i++), 1) < 0
		          : items_append(k, v, n, item_at(k, b, j++), 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Both fleets sorted (fleet_sort()), as the merge walks them side by side. */
int
fleet_merge(const struct fleet *running, const struct fleet *file, bool prune, struct fleet *ret)
{
	struct fleet f = {0};

	if (prune)
		return fleet_copy(file, ret);
	for (size_t i = 0; i < _KIND_MAX; i++) {
		const struct kind *k = &kinds[i];
		size_t na = kind_count(running, k), nb = kind_count(file, k), n = 0;
		void *v = na + nb > 0 ? calloc(na + nb, k->size) : NULL;

		if ((na + nb > 0 && v == NULL) || items_merge(k, kind_items(running, k), na,
		                                      kind_items(file, k), nb, v, &n) < 0) {
			items_free(k, v, n);
			fleet_clear(&f);
			return -ENOMEM;
		}
		kind_set(&f, k, v, n);
	}
	*ret = f;
	return 0;
}

/* ---- validation ---- */

/* "line 12: <message>", or the message alone for line 0; -EINVAL. */
static int __attribute__((format(printf, 3, 4)))
fail(char **ret_error, unsigned line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		return error_set(ret_error, -EINVAL, "line %u: %s", line, msg);
	return error_set(ret_error, -EINVAL, "%s", msg);
}

/* An optional name; a message naming 'what' and the field. */
static int
name_check(const char *s, const char *field, const char *what, unsigned line, char **ret_error)
{
	if (s == NULL || name_valid(s))
		return 0;
	return fail(ret_error, line, "%s: %s is not a valid name", what, field);
}

static int
cmdline_check(
    const char *s, enum boot_cmdline_mode mode, const char *what, unsigned line, char **ret_error)
{
	if (mode != BOOT_CMDLINE_APPEND && mode != BOOT_CMDLINE_REPLACE)
		return fail(ret_error, line, "%s: the command line mode is not known", what);
	if (s != NULL && !text_valid(s, FLEET_CMDLINE_MAX))
		return fail(ret_error, line,
		    "%s: the command line is longer than %d bytes or holds a control character",
		    what, FLEET_CMDLINE_MAX);
	return 0;
}

static int
labels_check(const struct fleet_labels *l, const char *what, unsigned line, char **ret_error)
{
	if (l->n > FLEET_MAX_LABELS)
		return fail(ret_error, line, "%s: more than %d labels", what, FLEET_MAX_LABELS);
	for (size_t i = 0; i < l->n; i++) {
		if (!fleet_label_key_valid(l->v[i].key))
			return fail(ret_error, line, "%s: a label key is not valid", what);
		if (!fleet_label_value_valid(l->v[i].value))
			return fail(ret_error, line, "%s: label %s: the value is not valid", what,
			    l->v[i].key);
		if (i > 0 && strcmp(l->v[i - 1].key, l->v[i].key) >= 0)
			return fail(ret_error, line, "%s: labels not sorted or given twice (%s)",
			    what, l->v[i].key);
	}
	return 0;
}

static bool
image_missing(const struct fleet_world *w, const char *name)
{
	return name != NULL && w != NULL && w->image_exists != NULL &&
	       !w->image_exists(w->userdata, name);
}

static bool
config_missing(const struct fleet *f, const struct fleet_world *w, const char *name)
{
	return name != NULL && w != NULL && w->config_exists != NULL &&
	       fleet_config_find(f, name) == NULL && !w->config_exists(w->userdata, name);
}

/* What a profile and a machine both name: image, config, command line. */
static int
boot_fields_check(const struct fleet *f, const struct fleet_world *w, const char *image,
    const char *config, const char *cmdline, enum boot_cmdline_mode mode, const char *what,
    unsigned line, char **ret_error)
{
	int r;

	if ((r = name_check(image, "the image", what, line, ret_error)) < 0 ||
	    (r = name_check(config, "the config", what, line, ret_error)) < 0 ||
	    (r = cmdline_check(cmdline, mode, what, line, ret_error)) < 0)
		return r;
	if (image_missing(w, image))
		return fail(ret_error, line, "%s: no image \"%s\"", what, image);
	if (config_missing(f, w, config))
		return fail(ret_error, line, "%s: no config \"%s\"", what, config);
	return 0;
}

static int
profile_check(const struct fleet *f, const struct fleet_world *w, const struct fleet_profile *p,
    char **ret_error)
{
	char what[WHAT_MAX];

	item_what(&kinds[KIND_PROFILES], p, what);
	if (!name_valid(p->name))
		return fail(ret_error, p->line, "%s", what);
	if (boot_loader_kind_from_name(p->loader, &(enum boot_loader_kind){0}) < 0)
		return fail(
		    ret_error, p->line, "%s: the loader is not ipxe, grub or shim-grub", what);
	if ((unsigned)p->action >= _FLEET_ACTION_MAX)
		return fail(ret_error, p->line, "%s: the action is not known", what);
	if ((unsigned)p->after_install >= _FLEET_AFTER_MAX)
		return fail(ret_error, p->line, "%s: after_install is not known", what);
	if (p->cmdline != NULL && text_valid(p->cmdline, FLEET_CMDLINE_MAX) &&
	    ipxe_cmdline_validate(p->cmdline) < 0)
		return fail(ret_error, p->line,
		    "%s: the command line has an unknown or unterminated {placeholder}", what);
	return boot_fields_check(
	    f, w, p->image, p->config, p->cmdline, p->cmdline_mode, what, p->line, ret_error);
}

static int
match_check(const struct fleet_match *m, const char *what, unsigned line, char **ret_error)
{
	char glob[FLEET_MAC_GLOB_MAX + 1];

	if (m->mac != NULL && (fleet_mac_glob_parse(m->mac, glob) < 0 || strcmp(glob, m->mac) != 0))
		return fail(ret_error, line, "%s: the mac selector is not a MAC or glob", what);
	if ((unsigned)m->arch >= _BOOT_ARCH_MAX)
		return fail(ret_error, line, "%s: the arch selector is not known", what);
	if (m->interface != NULL && fleet_interface_check(m->interface) < 0)
		return fail(ret_error, line,
		    "%s: the interface selector is not an interface name or a.b.c.d/len", what);
	return labels_check(&m->labels, what, line, ret_error);
}

static int
group_check(const struct fleet *f, const struct fleet_group *g, char **ret_error)
{
	char what[WHAT_MAX];
	int r;

	item_what(&kinds[KIND_GROUPS], g, what);
	if (!name_valid(g->name))
		return fail(ret_error, g->line, "%s", what);
	if (g->priority < -FLEET_PRIORITY_MAX || g->priority > FLEET_PRIORITY_MAX)
		return fail(ret_error, g->line, "%s: priority %d is out of range (%d-%d)", what,
		    g->priority, -FLEET_PRIORITY_MAX, FLEET_PRIORITY_MAX);
	if ((r = match_check(&g->match, what, g->line, ret_error)) < 0)
		return r;
	if (g->profile == NULL)
		return fail(ret_error, g->line, "%s: names no profile", what);
	if ((r = name_check(g->profile, "the profile", what, g->line, ret_error)) < 0)
		return r;
	if (fleet_profile_find(f, g->profile) == NULL)
		return fail(ret_error, g->line, "%s: no profile \"%s\"", what, g->profile);
	return 0;
}

static int
machine_check(const struct fleet *f, const struct fleet_world *w, const struct fleet_machine *m,
    char **ret_error)
{
	char what[WHAT_MAX];
	int r;

	item_what(&kinds[KIND_MACHINES], m, what);
	if ((r = labels_check(&m->labels, what, m->line, ret_error)) < 0 ||
	    (r = name_check(m->profile, "the profile", what, m->line, ret_error)) < 0)
		return r;
	if (m->profile != NULL && m->image != NULL)
		return fail(ret_error, m->line, "%s: names both a profile and an image", what);
	if (m->profile != NULL && fleet_profile_find(f, m->profile) == NULL)
		return fail(ret_error, m->line, "%s: no profile \"%s\"", what, m->profile);
	return boot_fields_check(
	    f, w, m->image, m->config, m->cmdline, m->cmdline_mode, what, m->line, ret_error);
}

static int
config_check(const struct fleet_config *c, char **ret_error)
{
	_cleanup_free_ char *msg = NULL;
	char what[WHAT_MAX];

	item_what(&kinds[KIND_CONFIGS], c, what);
	if (!name_valid(c->name))
		return fail(ret_error, c->line, "%s", what);
	if (c->content == NULL || c->len > CLOUD_CONFIG_MAX || strlen(c->content) != c->len)
		return fail(ret_error, c->line, "%s: no content, a NUL byte or more than %d bytes",
		    what, CLOUD_CONFIG_MAX);
	if (cloud_config_validate(c->content, c->len, &msg) < 0)
		return fail(ret_error, c->line, "%s: not a valid cloud-config: %s", what,
		    msg != NULL ? msg : "out of memory");
	return 0;
}

/* At most 'max' elements, sorted, no two with one name or MAC. */
static int
order_check(const struct fleet *f, const struct kind *k, char **ret_error)
{
	const void *v = kind_items(f, k);
	size_t n = kind_count(f, k);
	char what[WHAT_MAX];

	if (n > k->max)
		return fail(ret_error, 0, "more than %zu %ss", k->max, k->noun);
	for (size_t i = 1; i < n; i++) {
		const void *a = item_at(k, v, i - 1), *b = item_at(k, v, i);
		int c = k->cmp(a, b);
		unsigned la = item_line(k, a), lb = item_line(k, b);

		if (c == 0)
			return fail(ret_error, la > lb ? la : lb, "%s is defined twice",
			    item_what(k, b, what));
		if (c > 0)
			return fail(ret_error, lb, "%s is out of order", item_what(k, b, what));
	}
	return 0;
}

static int
items_check(const struct fleet *f, const struct fleet_world *w, char **ret_error)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < f->n_configs; i++)
		r = config_check(&f->configs[i], ret_error);
	for (size_t i = 0; r == 0 && i < f->n_profiles; i++)
		r = profile_check(f, w, &f->profiles[i], ret_error);
	for (size_t i = 0; r == 0 && i < f->n_groups; i++)
		r = group_check(f, &f->groups[i], ret_error);
	for (size_t i = 0; r == 0 && i < f->n_machines; i++)
		r = machine_check(f, w, &f->machines[i], ret_error);
	return r;
}

struct rank {
	unsigned specificity;
	int priority;
	const struct fleet_group *g;
};

static int
rank_cmp(const void *pa, const void *pb)
{
	const struct rank *a = pa, *b = pb;

	if (a->specificity != b->specificity)
		return a->specificity < b->specificity ? -1 : 1;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	return strcmp(a->g->name, b->g->name);
}

/* a and b rank alike and may match one machine: name both, the later one first. */
static int
tie_fail(const struct rank *a, const struct rank *b, char **ret_error)
{
	const struct fleet_group *first = a->g->line <= b->g->line ? a->g : b->g;
	const struct fleet_group *second = first == a->g ? b->g : a->g;
	char at[32] = "";

	if (first->line > 0)
		snprintf(at, sizeof(at), " (line %u)", first->line);
	return fail(ret_error, second->line,
	    "group \"%s\" ties with group \"%s\"%s: both have %u selector%s and priority %d and "
	    "may match the same machine; give one of them another priority",
	    second->name, first->name, at, a->specificity, a->specificity == 1 ? "" : "s",
	    a->priority);
}

/* Among groups of equal specificity and priority, no two that may overlap. */
static int
ties_check(const struct fleet *f, char **ret_error)
{
	_cleanup_free_ struct rank *v = NULL;
	size_t n = f->n_groups;

	if (n < 2)
		return 0;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = (struct rank){fleet_match_specificity(&f->groups[i].match),
		    f->groups[i].priority, &f->groups[i]};
	qsort(v, n, sizeof(*v), rank_cmp);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n && v[j].specificity == v[i].specificity &&
		                       v[j].priority == v[i].priority;
		     j++)
			if (fleet_match_may_overlap(&v[i].g->match, &v[j].g->match))
				return tie_fail(&v[i], &v[j], ret_error);
	return 0;
}

int
fleet_validate(const struct fleet *f, const struct fleet_world *w, char **ret_error)
{
	int r;

	for (size_t i = 0; i < _KIND_MAX; i++)
		if ((r = order_check(f, &kinds[i], ret_error)) < 0)
			return r;
	if ((r = items_check(f, w, ret_error)) < 0)
		return r;
	return ties_check(f, ret_error);
}
