/*
 * TEST DOUBLE of lib/boot/fleet.c (owned by the fleet-lib helper, issue
 * 10), so that the store's tests link before it lands: memory, sort, find,
 * labels, a minimal fleet_validate() (order, references, profile xor image,
 * the tie rule) and fleet_merge().  tests/meson.build uses it only while
 * lib/boot/fleet.c does not exist; delete it then.
 */
#include "fleet.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
dup_or_null(const char *s, char **ret)
{
	*ret = s != NULL ? strdup(s) : NULL;
	return s != NULL && *ret == NULL ? -ENOMEM : 0;
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

	for (size_t i = 0; i < src->n; i++)
		if (fleet_labels_set(&l, src->v[i].key, src->v[i].value) < 0) {
			fleet_labels_clear(&l);
			return -ENOMEM;
		}
	*dst = l;
	return 0;
}

int
fleet_labels_set(struct fleet_labels *l, const char *key, const char *value)
{
	struct fleet_label *v;
	size_t i = 0;
	char *k, *val;

	if (!fleet_label_key_valid(key) || !fleet_label_value_valid(value))
		return -EINVAL;
	while (i < l->n && strcmp(l->v[i].key, key) < 0)
		i++;
	if ((val = strdup(value)) == NULL)
		return -ENOMEM;
	if (i < l->n && strcmp(l->v[i].key, key) == 0) {
		free(l->v[i].value);
		l->v[i].value = val;
		return 0;
	}
	if (l->n >= FLEET_MAX_LABELS || (k = strdup(key)) == NULL ||
	    (v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL) {
		int r = l->n >= FLEET_MAX_LABELS ? -E2BIG : -ENOMEM;
		free(val);
		return r;
	}
	memmove(&v[i + 1], &v[i], (l->n - i) * sizeof(*v));
	v[i] = (struct fleet_label){k, val};
	l->v = v;
	l->n++;
	return 0;
}

int
fleet_labels_remove(struct fleet_labels *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0) {
			free(l->v[i].key);
			free(l->v[i].value);
			memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
			l->n--;
			return 0;
		}
	return -ENOENT;
}

const char *
fleet_labels_get(const struct fleet_labels *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return l->v[i].value;
	return NULL;
}

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
	struct fleet_profile p = *src;

	p.name = p.image = p.config = p.cmdline = p.loader = NULL;
	if (dup_or_null(src->name, &p.name) < 0 || dup_or_null(src->image, &p.image) < 0 ||
	    dup_or_null(src->config, &p.config) < 0 || dup_or_null(src->cmdline, &p.cmdline) < 0 ||
	    dup_or_null(src->loader, &p.loader) < 0) {
		fleet_profile_clear(&p);
		return -ENOMEM;
	}
	*dst = p;
	return 0;
}

void
fleet_group_clear(struct fleet_group *g)
{
	free(g->name);
	free(g->profile);
	free(g->match.mac);
	free(g->match.interface);
	fleet_labels_clear(&g->match.labels);
	*g = (struct fleet_group){0};
}

int
fleet_group_copy(const struct fleet_group *src, struct fleet_group *dst)
{
	struct fleet_group g = *src;

	g.name = g.profile = g.match.mac = g.match.interface = NULL;
	g.match.labels = (struct fleet_labels){0};
	if (dup_or_null(src->name, &g.name) < 0 || dup_or_null(src->profile, &g.profile) < 0 ||
	    dup_or_null(src->match.mac, &g.match.mac) < 0 ||
	    dup_or_null(src->match.interface, &g.match.interface) < 0 ||
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
	*m = (struct fleet_machine){.line = 0};
}

int
fleet_machine_copy(const struct fleet_machine *src, struct fleet_machine *dst)
{
	struct fleet_machine m = *src;

	m.profile = m.image = m.config = m.cmdline = NULL;
	m.labels = (struct fleet_labels){0};
	if (dup_or_null(src->profile, &m.profile) < 0 || dup_or_null(src->image, &m.image) < 0 ||
	    dup_or_null(src->config, &m.config) < 0 || dup_or_null(src->cmdline, &m.cmdline) < 0 ||
	    fleet_labels_copy(&src->labels, &m.labels) < 0) {
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
	struct fleet_config c = *src;

	c.name = strdup(src->name);
	c.content = malloc(src->len + 1);
	if (c.name == NULL || c.content == NULL) {
		fleet_config_clear(&c);
		return -ENOMEM;
	}
	memcpy(c.content, src->content, src->len + 1);
	*dst = c;
	return 0;
}

void
fleet_clear(struct fleet *f)
{
	for (size_t i = 0; i < f->n_profiles; i++)
		fleet_profile_clear(&f->profiles[i]);
	for (size_t i = 0; i < f->n_groups; i++)
		fleet_group_clear(&f->groups[i]);
	for (size_t i = 0; i < f->n_machines; i++)
		fleet_machine_clear(&f->machines[i]);
	for (size_t i = 0; i < f->n_configs; i++)
		fleet_config_clear(&f->configs[i]);
	free(f->profiles);
	free(f->groups);
	free(f->machines);
	free(f->configs);
	*f = (struct fleet){0};
}

#define COPY_ARRAY(dst, src, field, n, fn)                                                         \
	do {                                                                                       \
		if ((src)->n > 0 &&                                                                \
		    ((dst)->field = calloc((src)->n, sizeof(*(src)->field))) == NULL)              \
			goto oom;                                                                  \
		for (size_t i = 0; i < (src)->n; i++, (dst)->n++)                                  \
			if (fn(&(src)->field[i], &(dst)->field[i]) < 0)                            \
				goto oom;                                                          \
	} while (0)

int
fleet_copy(const struct fleet *src, struct fleet *dst)
{
	struct fleet f = {0};

	COPY_ARRAY(&f, src, profiles, n_profiles, fleet_profile_copy);
	COPY_ARRAY(&f, src, groups, n_groups, fleet_group_copy);
	COPY_ARRAY(&f, src, machines, n_machines, fleet_machine_copy);
	COPY_ARRAY(&f, src, configs, n_configs, config_copy);
	*dst = f;
	return 0;
oom:
	fleet_clear(&f);
	return -ENOMEM;
}

static int
profile_cmp(const void *a, const void *b)
{
	return strcmp(
	    ((const struct fleet_profile *)a)->name, ((const struct fleet_profile *)b)->name);
}

static int
group_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fleet_group *)a)->name, ((const struct fleet_group *)b)->name);
}

static int
machine_cmp(const void *a, const void *b)
{
	return memcmp(((const struct fleet_machine *)a)->mac,
	    ((const struct fleet_machine *)b)->mac, MAC_LEN);
}

static int
config_cmp(const void *a, const void *b)
{
	return strcmp(
	    ((const struct fleet_config *)a)->name, ((const struct fleet_config *)b)->name);
}

void
fleet_sort(struct fleet *f)
{
	if (f->n_profiles > 1)
		qsort(f->profiles, f->n_profiles, sizeof(*f->profiles), profile_cmp);
	if (f->n_groups > 1)
		qsort(f->groups, f->n_groups, sizeof(*f->groups), group_cmp);
	if (f->n_machines > 1)
		qsort(f->machines, f->n_machines, sizeof(*f->machines), machine_cmp);
	if (f->n_configs > 1)
		qsort(f->configs, f->n_configs, sizeof(*f->configs), config_cmp);
}

const struct fleet_profile *
fleet_profile_find(const struct fleet *f, const char *name)
{
	struct fleet_profile key = {.name = (char *)name};

	return f->n_profiles == 0
	           ? NULL
	           : bsearch(&key, f->profiles, f->n_profiles, sizeof(key), profile_cmp);
}

const struct fleet_group *
fleet_group_find(const struct fleet *f, const char *name)
{
	struct fleet_group key = {.name = (char *)name};

	return f->n_groups == 0 ? NULL
	                        : bsearch(&key, f->groups, f->n_groups, sizeof(key), group_cmp);
}

const struct fleet_machine *
fleet_machine_find(const struct fleet *f, const uint8_t mac[MAC_LEN])
{
	struct fleet_machine key;

	memcpy(key.mac, mac, MAC_LEN);
	return f->n_machines == 0
	           ? NULL
	           : bsearch(&key, f->machines, f->n_machines, sizeof(key), machine_cmp);
}

const struct fleet_config *
fleet_config_find(const struct fleet *f, const char *name)
{
	struct fleet_config key = {.name = (char *)name};

	return f->n_configs == 0 ? NULL
	                         : bsearch(&key, f->configs, f->n_configs, sizeof(key), config_cmp);
}

/* ---- validate (minimal) ---- */

static int
fail(char **ret_error, unsigned line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ret_error != NULL) {
		free(*ret_error);
		if (line > 0) {
			if (asprintf(ret_error, "line %u: %s", line, msg) < 0)
				*ret_error = NULL;
		} else {
			*ret_error = strdup(msg);
		}
	}
	return -EINVAL;
}

static bool
ref_ok(const struct fleet *f, const struct fleet_world *w, const char *name, bool image)
{
	if (name == NULL || w == NULL)
		return true;
	if (!image && fleet_config_find(f, name) != NULL)
		return true;
	return image ? w->image_exists(w->userdata, name) : w->config_exists(w->userdata, name);
}

static int
validate_profiles(const struct fleet *f, const struct fleet_world *w, char **ret_error)
{
	for (size_t i = 0; i < f->n_profiles; i++) {
		const struct fleet_profile *p = &f->profiles[i];

		if (i > 0 && strcmp(f->profiles[i - 1].name, p->name) >= 0)
			return fail(ret_error, p->line, "profile \"%s\" is not in order", p->name);
		if (!ref_ok(f, w, p->image, true))
			return fail(ret_error, p->line, "profile \"%s\": no image \"%s\"", p->name,
			    p->image);
		if (!ref_ok(f, w, p->config, false))
			return fail(ret_error, p->line, "profile \"%s\": no config \"%s\"", p->name,
			    p->config);
		if (p->loader != NULL && strcmp(p->loader, "ipxe") != 0)
			return fail(ret_error, p->line, "profile \"%s\": no loader \"%s\"", p->name,
			    p->loader);
	}
	return 0;
}

static int
validate_groups(const struct fleet *f, char **ret_error)
{
	for (size_t i = 0; i < f->n_groups; i++) {
		const struct fleet_group *g = &f->groups[i];

		if (i > 0 && strcmp(f->groups[i - 1].name, g->name) >= 0)
			return fail(ret_error, g->line, "group \"%s\" is not in order", g->name);
		if (fleet_profile_find(f, g->profile) == NULL)
			return fail(ret_error, g->line, "group \"%s\": no profile \"%s\"", g->name,
			    g->profile);
		for (size_t j = 0; j < i; j++) {
			const struct fleet_group *o = &f->groups[j];

			if (fleet_match_specificity(&o->match) ==
			        fleet_match_specificity(&g->match) &&
			    o->priority == g->priority &&
			    fleet_match_may_overlap(&o->match, &g->match))
				return fail(ret_error, g->line,
				    "group \"%s\" ties with group \"%s\" (as specific, same priority)",
				    g->name, o->name);
		}
	}
	return 0;
}

static int
validate_machines(const struct fleet *f, const struct fleet_world *w, char **ret_error)
{
	for (size_t i = 0; i < f->n_machines; i++) {
		const struct fleet_machine *m = &f->machines[i];

		if (i > 0 && memcmp(f->machines[i - 1].mac, m->mac, MAC_LEN) >= 0)
			return fail(ret_error, m->line, "machine %zu is not in order", i);
		if (m->profile != NULL && m->image != NULL)
			return fail(
			    ret_error, m->line, "a machine has both a profile and an image");
		if (m->profile != NULL && fleet_profile_find(f, m->profile) == NULL)
			return fail(ret_error, m->line, "machine: no profile \"%s\"", m->profile);
		if (!ref_ok(f, w, m->image, true))
			return fail(ret_error, m->line, "machine: no image \"%s\"", m->image);
		if (!ref_ok(f, w, m->config, false))
			return fail(ret_error, m->line, "machine: no config \"%s\"", m->config);
	}
	return 0;
}

int
fleet_validate(const struct fleet *f, const struct fleet_world *w, char **ret_error)
{
	int r;

	if ((r = validate_profiles(f, w, ret_error)) < 0 || (r = validate_groups(f, ret_error)) < 0)
		return r;
	return validate_machines(f, w, ret_error);
}
