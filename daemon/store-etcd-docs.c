/*
 * The etcd backend's documents (store-etcd.h): the desired state as the
 * values of keys below the prefix, built from the mirror and parsed back.
 * Built documents are deterministic (sorted fleet, unformatted JSON), so
 * that an unchanged part of the state produces the same bytes and no write.
 */
#include "store-etcd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store-local.h"
#include "text.h"
#include "util.h"

#define KEY_FLEET    "desired/fleet"
#define KEY_MACHINES "desired/machines/"
#define KEY_SETTINGS "desired/settings"
#define KEY_CONFIGS  "desired/configs/"
#define KEY_IMAGES   "desired/images/"

/* ---- the set ---- */

void
store_etcd_docs_clear(struct etcd_docs *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].key);
		free(d->v[i].value);
	}
	free(d->v);
	*d = (struct etcd_docs){0};
}

static const char *
doc_key(const void *v, size_t i)
{
	return ((const struct etcd_doc *)v)[i].key;
}

/* The index of 'key', or where it would go (*found false). */
static size_t
docs_find(const struct etcd_docs *d, const char *key, bool *found)
{
	return text_bsearch(d->v, d->n, doc_key, key, found);
}

const struct etcd_doc *
store_etcd_docs_get(const struct etcd_docs *d, const char *key)
{
	bool found;
	size_t i = docs_find(d, key, &found);

	return found ? &d->v[i] : NULL;
}

int
store_etcd_docs_set(struct etcd_docs *d, const char *key, const char *value, size_t len)
{
	bool found;
	size_t i = docs_find(d, key, &found);
	char *v = malloc(len + 1);

	if (v == NULL)
		return -ENOMEM;
	memcpy(v, value, len);
	v[len] = '\0';
	if (found) {
		free(d->v[i].value);
		d->v[i].value = v;
		d->v[i].len = len;
		return 0;
	}
	struct etcd_doc *nv = realloc(d->v, (d->n + 1) * sizeof(*nv));
	char *k = strdup(key);

	if (nv != NULL)
		d->v = nv;
	if (nv == NULL || k == NULL) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	memmove(&d->v[i + 1], &d->v[i], (d->n - i) * sizeof(*nv));
	d->v[i] = (struct etcd_doc){.key = k, .value = v, .len = len};
	d->n++;
	return 0;
}

void
store_etcd_docs_remove(struct etcd_docs *d, const char *key)
{
	bool found;
	size_t i = docs_find(d, key, &found);

	if (!found)
		return;
	free(d->v[i].key);
	free(d->v[i].value);
	memmove(&d->v[i], &d->v[i + 1], (d->n - i - 1) * sizeof(*d->v));
	d->n--;
}

static bool
has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

bool
store_etcd_docs_in(const char *key, unsigned classes)
{
	return ((classes & STORE_ETCD_FLEET) &&
	           (strcmp(key, KEY_FLEET) == 0 || has_prefix(key, KEY_MACHINES))) ||
	       ((classes & STORE_ETCD_SETTINGS) && strcmp(key, KEY_SETTINGS) == 0) ||
	       ((classes & STORE_ETCD_CONFIGS) && has_prefix(key, KEY_CONFIGS)) ||
	       ((classes & STORE_ETCD_IMAGES) && has_prefix(key, KEY_IMAGES));
}

/* ---- building ---- */

void
store_etcd_docs_shard(const uint8_t mac[MAC_LEN], char ret[32])
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < MAC_LEN; i++)
		h = (h ^ mac[i]) * 16777619u;
	snprintf(ret, 32, KEY_MACHINES "%02x", (unsigned)(h % STORE_ETCD_SHARDS));
}

/* Add 'root' printed (and consume it). */
static int
docs_add_json(struct etcd_docs *d, const char *key, cJSON *root)
{
	_cleanup_free_ char *text = root != NULL ? cJSON_PrintUnformatted(root) : NULL;

	cJSON_Delete(root);
	if (text == NULL)
		return -ENOMEM;
	return store_etcd_docs_set(d, key, text, strlen(text));
}

/* The machines of shard 'k' of f, as a fleet borrowing f's machines. */
static int
docs_add_shard(struct etcd_docs *d, const struct fleet *f, unsigned k)
{
	_cleanup_free_ struct fleet_machine *v = calloc(f->n_machines, sizeof(*v));
	struct fleet shard = {.machines = v};
	char key[32], want[32];

	if (v == NULL)
		return -ENOMEM;
	snprintf(want, sizeof(want), KEY_MACHINES "%02x", k);
	for (size_t i = 0; i < f->n_machines; i++) {
		store_etcd_docs_shard(f->machines[i].mac, key);
		if (strcmp(key, want) == 0)
			v[shard.n_machines++] = f->machines[i];
	}
	if (shard.n_machines == 0)
		return 0;
	return docs_add_json(
	    d, want, store_local_fleet_to_json(&shard, STORE_LOCAL_FLEET_MACHINES));
}

int
store_etcd_docs_build_fleet(const struct fleet *f, struct etcd_docs *d)
{
	int r = docs_add_json(d, KEY_FLEET,
	    store_local_fleet_to_json(f, STORE_LOCAL_FLEET_PROFILES | STORE_LOCAL_FLEET_GROUPS));

	if (f->n_machines == 0)
		return r;
	for (unsigned k = 0; r == 0 && k < STORE_ETCD_SHARDS; k++)
		r = docs_add_shard(d, f, k);
	return r;
}

static int
docs_build_configs(struct store *mirror, struct etcd_docs *d)
{
	struct store_config_info *list = NULL;
	size_t n = 0;
	int r = store_local_config_list(mirror, &list, &n);

	for (size_t i = 0; r == 0 && i < n; i++) {
		_cleanup_free_ char *text = NULL, *key = NULL;
		size_t len;

		if ((r = store_local_config_get(mirror, list[i].name, &text, &len)) < 0)
			break;
		if (asprintf(&key, KEY_CONFIGS "%s", list[i].name) < 0)
			r = -ENOMEM;
		else
			r = store_etcd_docs_set(d, key, text, len);
	}
	free(list);
	return r;
}

int
store_etcd_docs_build(struct store *mirror, unsigned classes, struct etcd_docs *d)
{
	int r = 0;

	if (classes & STORE_ETCD_FLEET)
		r = store_etcd_docs_build_fleet(store_local_fleet_get(mirror), d);
	if (r == 0 && (classes & STORE_ETCD_SETTINGS))
		r = docs_add_json(d, KEY_SETTINGS,
		    store_local_settings_to_json(store_local_settings_get(mirror)));
	if (r == 0 && (classes & STORE_ETCD_CONFIGS))
		r = docs_build_configs(mirror, d);
	return r;
}

/* ---- the difference ---- */

static int
ops_add(struct etcd_op **v, size_t *n, struct etcd_op op)
{
	struct etcd_op *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (nv == NULL)
		return -ENOMEM;
	nv[(*n)++] = op;
	*v = nv;
	return 0;
}

int
store_etcd_docs_diff(const struct etcd_docs *old, const struct etcd_docs *new, unsigned classes,
    struct etcd_op **ret, size_t *ret_n)
{
	struct etcd_op *v = NULL;
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; r == 0 && i < new->n; i++) {
		const struct etcd_doc *o = store_etcd_docs_get(old, new->v[i].key);

		if (!store_etcd_docs_in(new->v[i].key, classes) ||
		    (o != NULL &&
		        o->len == new->v[i].len &&memcmp(o->value, new->v[i].value, o->len) == 0))
			continue;
		r = ops_add(&v, &n,
		    (struct etcd_op){.type = ETCD_OP_PUT,
		        .key = new->v[i].key,
		        .value = new->v[i].value,
		        .value_len = new->v[i].len});
	}
	for (size_t i = 0; r == 0 && i < old->n; i++)
		if (store_etcd_docs_in(old->v[i].key, classes) &&
		    store_etcd_docs_get(new, old->v[i].key) == NULL)
			r = ops_add(
			    &v, &n, (struct etcd_op){.type = ETCD_OP_DELETE, .key = old->v[i].key});
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ---- parsing ---- */

/* Move the items of array 'key' of the document 'text' to 'into'. */
static int
fleet_take(const struct etcd_doc *doc, const char *key, cJSON *into, char **ret_error)
{
	cJSON *root = cJSON_ParseWithLength(doc->value, doc->len), *arr, *e;

	arr = cJSON_GetObjectItemCaseSensitive(root, key);
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(root);
		return error_set(
		    ret_error, -EBADMSG, "etcd %s: not JSON with a \"%s\" list", doc->key, key);
	}
	while ((e = cJSON_DetachItemFromArray(arr, 0)) != NULL)
		cJSON_AddItemToArray(into, e);
	cJSON_Delete(root);
	return 0;
}

int
store_etcd_docs_fleet(const struct etcd_docs *d, struct fleet *ret, char **ret_error)
{
	const struct etcd_doc *top = store_etcd_docs_get(d, KEY_FLEET);
	cJSON *root = cJSON_CreateObject(), *machines, *profiles, *groups;
	struct fleet f = {0};
	int r = -ENOMEM;

	machines = cJSON_AddArrayToObject(root, "machines");
	profiles = cJSON_AddArrayToObject(root, "profiles");
	groups = cJSON_AddArrayToObject(root, "groups");
	if (machines == NULL || profiles == NULL || groups == NULL)
		goto out;
	r = 0;
	if (top != NULL && (r = fleet_take(top, "profiles", profiles, ret_error)) == 0)
		r = fleet_take(top, "groups", groups, ret_error);
	for (size_t i = 0; r == 0 && i < d->n; i++)
		if (has_prefix(d->v[i].key, KEY_MACHINES))
			r = fleet_take(&d->v[i], "machines", machines, ret_error);
	if (r == 0)
		r = store_local_fleet_from_json(root, "etcd " KEY_FLEET, &f, ret_error);
	if (r == 0)
		*ret = f;
	else
		fleet_clear(&f);
out:
	cJSON_Delete(root);
	return r;
}

int
store_etcd_docs_settings(const struct etcd_docs *d, struct store_settings *ret, char **ret_error)
{
	const struct etcd_doc *doc = store_etcd_docs_get(d, KEY_SETTINGS);
	cJSON *root;
	int r;

	if (doc == NULL) {
		*ret = (struct store_settings){.default_boot = true};
		return 0;
	}
	root = cJSON_ParseWithLength(doc->value, doc->len);
	r = store_local_settings_from_json(root, "etcd " KEY_SETTINGS, ret, ret_error);
	cJSON_Delete(root);
	return r;
}

int
store_etcd_docs_image(
    const struct etcd_docs *d, const char *name, struct manifest **ret, char **ret_error)
{
	char key[sizeof(KEY_IMAGES) + NAME_MAX_LEN + 1];
	const struct etcd_doc *doc;
	struct manifest *m = NULL;
	_cleanup_free_ char *why = NULL;
	int r;

	snprintf(key, sizeof(key), KEY_IMAGES "%s", name);
	if ((doc = store_etcd_docs_get(d, key)) == NULL)
		return -ENOENT;
	if ((r = manifest_parse(doc->value, doc->len, &m, &why)) < 0)
		return error_set(ret_error, r == -ENOMEM ? r : -EBADMSG, "etcd %s: %s", key,
		    why != NULL ? why : "not a manifest");
	if (strcmp(m->name, name) != 0 || m->source_type == MANIFEST_SOURCE_LEGACY) {
		manifest_free(m);
		return error_set(
		    ret_error, -EBADMSG, "etcd %s: names another image or has no digests", key);
	}
	*ret = m;
	return 0;
}

bool
store_etcd_docs_origin_boot(const struct etcd_docs *d, const char *name)
{
	struct manifest *m = NULL;
	bool yes =
	    store_etcd_docs_image(d, name, &m, NULL) == 0 && m->origin != NULL && m->origin_boot;

	manifest_free(m);
	return yes;
}
