/*
 * The store's front for the fleet (store.h, FLEET): machines, profiles and
 * groups.  Every edit copies the running fleet, changes the copy, checks it
 * with fleet_validate() against the store's images and cloud-configs, and
 * hands it to the backend (ops->fleet_replace), which persists it before
 * it becomes current.
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud-config.h"
#include "error.h"
#include "store-backend.h"
#include "util.h"

/* ---- reading ---- */

const struct fleet *
store_fleet(struct store *s)
{
	return s->ops->fleet_get(s);
}

const struct fleet_machine *
store_machine_get(const struct store *s, const uint8_t mac[MAC_LEN])
{
	return fleet_machine_find(s->ops->fleet_get(s), mac);
}

const struct fleet_machine *
store_machine_list(const struct store *s, size_t *ret_n)
{
	const struct fleet *f = s->ops->fleet_get(s);

	*ret_n = f->n_machines;
	return f->machines;
}

size_t
store_fleet_users(const struct store *s, const char *name, bool image, char ret_who[STORE_WHO_MAX])
{
	const struct fleet *f = s->ops->fleet_get(s);
	char mac[MAC_STRLEN];
	size_t n = 0;

	for (size_t i = 0; i < f->n_profiles; i++) {
		const struct fleet_profile *p = &f->profiles[i];

		if (store_streq(image ? p->image : p->config, name) && n++ == 0 && ret_who != NULL)
			snprintf(ret_who, STORE_WHO_MAX, "profile \"%s\"", p->name);
	}
	for (size_t i = 0; i < f->n_machines; i++) {
		const struct fleet_machine *m = &f->machines[i];

		if (!store_streq(image ? m->image : m->config, name) || n++ > 0 || ret_who == NULL)
			continue;
		mac_format(m->mac, ':', mac);
		snprintf(ret_who, STORE_WHO_MAX, "machine %s", mac);
	}
	return n;
}

/* Every stored cloud-config into f->configs (sorted by name, as listed). */
static int
configs_load(struct store *s, struct fleet *f)
{
	struct store_config_info *list = NULL;
	size_t n = 0;
	int r = store_config_list(s, &list, &n);

	if (r == 0 && n > 0 && (f->configs = calloc(n, sizeof(*f->configs))) == NULL)
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct fleet_config *c = &f->configs[i];

		if ((c->name = strdup(list[i].name)) == NULL) {
			r = -ENOMEM;
			break;
		}
		f->n_configs++;
		r = store_config_get(s, list[i].name, &c->content, &c->len);
	}
	free(list);
	return r;
}

int
store_fleet_copy(struct store *s, struct fleet *ret)
{
	struct fleet f = {0};
	int r = fleet_copy(store_fleet(s), &f);

	if (r == 0)
		r = configs_load(s, &f);
	if (r < 0) {
		fleet_clear(&f);
		return r;
	}
	*ret = f;
	return 0;
}

/* ---- validation ---- */

/* What fleet_validate() asks about images and configs (store.h, FLEET). */
struct world {
	struct store *s;
	bool all_configs; /* apply: the fleet's configs are all the configs there will be */
	const char *last; /* the last answer, for runs of one name */
	bool last_image, last_ok;
};

static bool
world_exists(struct world *w, const char *name, bool image)
{
	bool stored, dangling, ok;

	if (w->last != NULL && w->last_image == image && strcmp(w->last, name) == 0)
		return w->last_ok;
	stored = image ? store_image_exists(w->s, name) : store_config_exists(w->s, name);
	/* the running fleet names it, yet the store lacks it: kept dangling */
	dangling = !stored && store_fleet_users(w->s, name, image, NULL) > 0;
	ok = image || !w->all_configs ? stored || dangling : dangling;
	w->last = name, w->last_image = image, w->last_ok = ok;
	return ok;
}

static bool
world_image(void *userdata, const char *name)
{
	return world_exists(userdata, name, true);
}

static bool
world_config(void *userdata, const char *name)
{
	return world_exists(userdata, name, false);
}

static int
fleet_check(struct store *s, const struct fleet *f, bool all_configs, char **ret_error)
{
	struct world w = {.s = s, .all_configs = all_configs};
	const struct fleet_world fw = {world_image, world_config, &w};

	if (f->n_machines > STORE_MAX_MACHINES || f->n_profiles > FLEET_MAX_PROFILES ||
	    f->n_groups > FLEET_MAX_GROUPS)
		return error_set(ret_error, -E2BIG,
		    "Too many items: at most %d machines, %d profiles and %d groups",
		    STORE_MAX_MACHINES, FLEET_MAX_PROFILES, FLEET_MAX_GROUPS);
	return fleet_validate(f, &fw, ret_error);
}

/* ---- edits ---- */

/* Edit 'f' (a copy of the running fleet) as 'arg' says; f may be left unsorted. */
typedef int (*edit_fn)(struct fleet *f, const void *arg, char **ret_error);

static int
fleet_edit(struct store *s, edit_fn edit, const void *arg, char **ret_error)
{
	struct fleet next;
	int r = fleet_copy(store_fleet(s), &next);

	if (r < 0)
		return r;
	if ((r = edit(&next, arg, ret_error)) == 0) {
		fleet_sort(&next);
		r = fleet_check(s, &next, false, ret_error);
	}
	if (r < 0) {
		fleet_clear(&next);
		return r;
	}
	return s->ops->fleet_replace(s, &next, NULL, 0, ret_error);
}

/*
 * The element of array 'v' (*n elements of 'size' bytes) a new item goes
 * to: index 'at' when it replaces one (the caller clears it), else a zeroed
 * one appended (*n grows); the array, which may have moved, in *ret_v.
 * NULL when out of memory (v untouched).
 */
static void *
array_slot(void *v, size_t *n, size_t size, size_t at, void **ret_v)
{
	char *nv = at < *n ? v : realloc(v, (*n + 1) * size);

	if (nv == NULL)
		return NULL;
	if (at >= *n)
		memset(nv + (at = (*n)++) * size, 0, size);
	*ret_v = nv;
	return nv + at * size;
}

/* Close the gap of element i (already cleared) of v, n elements of 'size' bytes. */
static void
array_remove(void *v, size_t n, size_t size, size_t i)
{
	memmove((char *)v + i * size, (char *)v + (i + 1) * size, (n - i - 1) * size);
}

/* ---- machines ---- */

/* The entry of 'mac' in f, appended empty (f unsorted then) when missing; NULL out of memory. */
static struct fleet_machine *
machine_edit(struct fleet *f, const uint8_t mac[MAC_LEN])
{
	const struct fleet_machine *m = fleet_machine_find(f, mac);
	struct fleet_machine *v;
	void *nv;

	if (m != NULL)
		return &f->machines[m - f->machines];
	if ((v = array_slot(f->machines, &f->n_machines, sizeof(*v), f->n_machines, &nv)) == NULL)
		return NULL;
	f->machines = nv;
	memcpy(v->mac, mac, MAC_LEN);
	return v;
}

/* Remove m from f when nothing is left of it. */
static void
machine_prune(struct fleet *f, struct fleet_machine *m)
{
	if (m->labels.n > 0 || m->profile != NULL || m->image != NULL || m->config != NULL ||
	    m->cmdline != NULL)
		return;
	fleet_machine_clear(m);
	array_remove(f->machines, f->n_machines--, sizeof(*m), (size_t)(m - f->machines));
}

static void
machine_unassign(struct fleet_machine *m)
{
	free(m->image);
	free(m->config);
	free(m->cmdline);
	free(m->profile);
	m->image = m->config = m->cmdline = m->profile = NULL;
	m->cmdline_mode = BOOT_CMDLINE_APPEND;
}

static int
machine_check(struct store *s, const struct fleet_machine *m)
{
	if ((m->image != NULL && !name_valid(m->image)) ||
	    (m->config != NULL && !name_valid(m->config)) ||
	    (m->cmdline != NULL && !manifest_string_valid(m->cmdline, STORE_MAX_CMDLINE)) ||
	    (m->cmdline_mode != BOOT_CMDLINE_APPEND && m->cmdline_mode != BOOT_CMDLINE_REPLACE))
		return -EINVAL;
	if (m->image != NULL && !store_image_exists(s, m->image))
		return -ENOENT;
	if (m->config != NULL && !store_config_exists(s, m->config))
		return -ENOKEY;
	return 0;
}

static int
edit_assign(struct fleet *f, const void *arg, char **ret_error)
{
	const struct fleet_machine *m = arg;
	struct fleet_machine *e = machine_edit(f, m->mac);

	if (e == NULL)
		return -ENOMEM;
	machine_unassign(e);
	e->cmdline_mode = m->cmdline_mode;
	if (store_strdup_or_null(m->image, &e->image) < 0 ||
	    store_strdup_or_null(m->config, &e->config) < 0 ||
	    store_strdup_or_null(m->cmdline, &e->cmdline) < 0)
		return -ENOMEM;
	return 0;
}

int
store_machine_assign(struct store *s, const struct fleet_machine *m)
{
	int r;

	if ((r = machine_check(s, m)) < 0)
		return r;
	if (store_machine_get(s, m->mac) == NULL &&
	    store_fleet(s)->n_machines >= STORE_MAX_MACHINES)
		return -E2BIG;
	return fleet_edit(s, edit_assign, m, NULL);
}

static int
edit_unassign(struct fleet *f, const void *arg, char **ret_error)
{
	struct fleet_machine *e = machine_edit(f, arg);

	if (e == NULL)
		return -ENOMEM;
	machine_unassign(e);
	machine_prune(f, e);
	return 0;
}

int
store_machine_unassign(struct store *s, const uint8_t mac[MAC_LEN])
{
	if (store_machine_get(s, mac) == NULL)
		return -ENOENT;
	return fleet_edit(s, edit_unassign, mac, NULL);
}

struct label_edit {
	const uint8_t *mac;
	const struct fleet_labels *set;
	const char *const *remove;
	size_t n_remove;
};

static int
label_set(struct fleet_labels *l, const struct fleet_label *kv, const char *mac, char **ret_error)
{
	int r = fleet_labels_set(l, kv->key, kv->value);

	if (r == -EINVAL)
		return error_set(
		    ret_error, r, "The label %.63s=%.63s is not valid", kv->key, kv->value);
	if (r == -E2BIG)
		return error_set(ret_error, r, "Machine %s would have more than %d labels", mac,
		    FLEET_MAX_LABELS);
	return r;
}

static int
edit_label(struct fleet *f, const void *arg, char **ret_error)
{
	const struct label_edit *a = arg;
	bool known = fleet_machine_find(f, a->mac) != NULL;
	struct fleet_machine *m;
	char mac[MAC_STRLEN];
	int r = 0;

	mac_format(a->mac, ':', mac);
	if (!known && f->n_machines >= STORE_MAX_MACHINES)
		return error_set(
		    ret_error, -E2BIG, "Too many machines (at most %d)", STORE_MAX_MACHINES);
	if ((m = machine_edit(f, a->mac)) == NULL)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && a->set != NULL && i < a->set->n; i++)
		r = label_set(&m->labels, &a->set->v[i], mac, ret_error);
	for (size_t i = 0; r == 0 && i < a->n_remove; i++)
		if ((r = fleet_labels_remove(&m->labels, a->remove[i])) < 0)
			error_set(
			    ret_error, r, "Machine %s has no label \"%.63s\"", mac, a->remove[i]);
	if (r == 0)
		machine_prune(f, m);
	return r;
}

int
store_machine_label(struct store *s, const uint8_t mac[MAC_LEN], const struct fleet_labels *set,
    const char *const *remove, size_t n_remove, char **ret_error)
{
	const struct label_edit a = {mac, set, remove, n_remove};

	return fleet_edit(s, edit_label, &a, ret_error);
}

/* ---- profiles and groups ---- */

static int
edit_profile_set(struct fleet *f, const void *arg, char **ret_error)
{
	const struct fleet_profile *p = arg, *cur = fleet_profile_find(f, p->name);
	size_t at = cur != NULL ? (size_t)(cur - f->profiles) : f->n_profiles;
	struct fleet_profile copy, *v;
	void *nv;

	if (cur == NULL && f->n_profiles >= FLEET_MAX_PROFILES)
		return error_set(
		    ret_error, -E2BIG, "Too many profiles (at most %d)", FLEET_MAX_PROFILES);
	if (fleet_profile_copy(p, &copy) < 0)
		return -ENOMEM;
	if ((v = array_slot(f->profiles, &f->n_profiles, sizeof(*v), at, &nv)) == NULL) {
		fleet_profile_clear(&copy);
		return -ENOMEM;
	}
	f->profiles = nv;
	fleet_profile_clear(v);
	*v = copy;
	v->line = 0;
	return 0;
}

int
store_profile_set(struct store *s, const struct fleet_profile *p, char **ret_error)
{
	if (!name_valid(p->name))
		return error_set(ret_error, -EINVAL, "Invalid profile name");
	return fleet_edit(s, edit_profile_set, p, ret_error);
}

/* The group or machine that names profile 'name' in ret_who; false when none. */
static bool
profile_user(const struct fleet *f, const char *name, char ret_who[STORE_WHO_MAX])
{
	char mac[MAC_STRLEN];

	for (size_t i = 0; i < f->n_groups; i++)
		if (store_streq(f->groups[i].profile, name)) {
			snprintf(ret_who, STORE_WHO_MAX, "group \"%s\"", f->groups[i].name);
			return true;
		}
	for (size_t i = 0; i < f->n_machines; i++)
		if (store_streq(f->machines[i].profile, name)) {
			mac_format(f->machines[i].mac, ':', mac);
			snprintf(ret_who, STORE_WHO_MAX, "machine %s", mac);
			return true;
		}
	return false;
}

static int
edit_profile_remove(struct fleet *f, const void *arg, char **ret_error)
{
	const struct fleet_profile *p = fleet_profile_find(f, arg);
	char who[STORE_WHO_MAX];
	size_t i;

	if (p == NULL)
		return error_set(ret_error, -ENOENT, "No such profile \"%s\"", (const char *)arg);
	if (profile_user(f, p->name, who))
		return error_set(
		    ret_error, -EBUSY, "The profile \"%s\" is in use by %s", p->name, who);
	i = (size_t)(p - f->profiles);
	fleet_profile_clear(&f->profiles[i]);
	array_remove(f->profiles, f->n_profiles--, sizeof(*p), i);
	return 0;
}

int
store_profile_remove(struct store *s, const char *name, char **ret_error)
{
	return fleet_edit(s, edit_profile_remove, name, ret_error);
}

static int
edit_group_set(struct fleet *f, const void *arg, char **ret_error)
{
	const struct fleet_group *g = arg, *cur = fleet_group_find(f, g->name);
	size_t at = cur != NULL ? (size_t)(cur - f->groups) : f->n_groups;
	struct fleet_group copy, *v;
	void *nv;

	if (cur == NULL && f->n_groups >= FLEET_MAX_GROUPS)
		return error_set(
		    ret_error, -E2BIG, "Too many groups (at most %d)", FLEET_MAX_GROUPS);
	if (fleet_group_copy(g, &copy) < 0)
		return -ENOMEM;
	if ((v = array_slot(f->groups, &f->n_groups, sizeof(*v), at, &nv)) == NULL) {
		fleet_group_clear(&copy);
		return -ENOMEM;
	}
	f->groups = nv;
	fleet_group_clear(v);
	*v = copy;
	v->line = 0;
	return 0;
}

int
store_group_set(struct store *s, const struct fleet_group *g, char **ret_error)
{
	if (!name_valid(g->name))
		return error_set(ret_error, -EINVAL, "Invalid group name");
	return fleet_edit(s, edit_group_set, g, ret_error);
}

static int
edit_group_remove(struct fleet *f, const void *arg, char **ret_error)
{
	const struct fleet_group *g = fleet_group_find(f, arg);
	size_t i;

	if (g == NULL)
		return -ENOENT;
	i = (size_t)(g - f->groups);
	fleet_group_clear(&f->groups[i]);
	array_remove(f->groups, f->n_groups--, sizeof(*g), i);
	return 0;
}

int
store_group_remove(struct store *s, const char *name)
{
	return fleet_edit(s, edit_group_remove, name, NULL);
}

/* ---- apply ---- */

/* Whether the store holds config c with the same content. */
static bool
config_same(struct store *s, const struct fleet_config *c)
{
	_cleanup_free_ char *content = NULL;
	size_t len;

	return store_config_get(s, c->name, &content, &len) == 0 && len == c->len &&
	       memcmp(content, c->content, len) == 0;
}

int
store_fleet_check(struct store *s, const struct fleet *next, char **ret_error)
{
	const char *def = store_settings(s)->default_config;
	_cleanup_free_ char *why = NULL;

	if (def != NULL && store_config_exists(s, def) && fleet_config_find(next, def) == NULL)
		return error_set(ret_error, -EBUSY,
		    "The cloud-config \"%s\" is the default one (netbootctl config default): "
		    "it cannot be pruned",
		    def);
	for (size_t i = 0; i < next->n_configs; i++) { /* those to be written */
		const struct fleet_config *c = &next->configs[i];

		if (!name_valid(c->name))
			return error_set(ret_error, -EINVAL, "Invalid config name");
		if (!config_same(s, c) && cloud_config_validate(c->content, c->len, &why) < 0)
			return error_set(ret_error, -EINVAL, "config \"%s\": %s", c->name,
			    why ? why : "not a valid cloud-config");
	}
	return fleet_check(s, next, true, ret_error);
}

/* What applying next does to the stored configs (listed in 'stored'): borrowed strings. */
static int
config_changes(struct store *s, const struct fleet *next, const struct store_config_info *stored,
    size_t n_stored, struct store_config_change **ret, size_t *ret_n)
{
	struct store_config_change *c = calloc(next->n_configs + n_stored + 1, sizeof(*c));
	size_t n = 0;

	if (c == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < next->n_configs; i++)
		if (!config_same(s, &next->configs[i]))
			c[n++] = (struct store_config_change){
			    next->configs[i].name, next->configs[i].content, next->configs[i].len};
	for (size_t i = 0; i < n_stored; i++)
		if (fleet_config_find(next, stored[i].name) == NULL)
			c[n++] = (struct store_config_change){stored[i].name, NULL, 0};
	*ret = c;
	*ret_n = n;
	return 0;
}

/* The running fleet was defined in no file: forget the lines of the one applied. */
static void
lines_forget(struct fleet *f)
{
	for (size_t i = 0; i < f->n_profiles; i++)
		f->profiles[i].line = 0;
	for (size_t i = 0; i < f->n_groups; i++)
		f->groups[i].line = 0;
	for (size_t i = 0; i < f->n_machines; i++)
		f->machines[i].line = 0;
}

int
store_fleet_apply(struct store *s, const struct fleet *next, char **ret_error)
{
	struct fleet bare = *next, copy = {0};
	struct store_config_info *stored = NULL;
	struct store_config_change *changes = NULL;
	size_t n_stored = 0, n = 0;
	int r;

	bare.configs = NULL, bare.n_configs = 0;
	if ((r = store_fleet_check(s, next, ret_error)) < 0)
		return r;
	if ((r = store_config_list(s, &stored, &n_stored)) == 0 &&
	    (r = config_changes(s, next, stored, n_stored, &changes, &n)) == 0 &&
	    (r = fleet_copy(&bare, &copy)) == 0) {
		lines_forget(&copy);
		r = s->ops->fleet_replace(s, &copy, changes, n, ret_error);
	}
	free(changes);
	free(stored);
	return r;
}
