/*
 * etcd -> the mirror (store-etcd.h): the first read of desired/ (seeding an
 * empty etcd from this instance's state), the watch that follows every
 * change, and the reconciliation that makes the mirror what the documents
 * say.  A fleet or settings document that names an image whose bytes are
 * not here yet is held back (the mirror keeps serving the previous one)
 * until the image has arrived and been verified.
 */
#include "store-etcd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cloud-config.h"
#include "error.h"
#include "log.h"
#include "store-local.h"
#include "util.h"

#define RETRY_MS 1000

static void sync_retry_later(struct store *s);

/* "<prefix>desired/"; malloc'd. */
static char *
desired_key(const struct store_etcd *e)
{
	char *k;

	return asprintf(&k, "%sdesired/", e->prefix) < 0 ? NULL : k;
}

/* The key relative to the prefix, or NULL when it is outside. */
static const char *
key_rel(const struct store_etcd *e, const char *key)
{
	size_t n = strlen(e->prefix);

	return strncmp(key, e->prefix, n) == 0 ? key + n : NULL;
}

/* Log a failure once per different message. */
static void
log_once(struct store_etcd *e, const char *what, const char *why)
{
	_cleanup_free_ char *msg = NULL;

	if (asprintf(&msg, "%s: %s", what, why != NULL ? why : "unknown error") < 0)
		return;
	if (e->last_error != NULL && strcmp(e->last_error, msg) == 0)
		return;
	log_warn(NULL, "%s; serving the last state, retrying", msg);
	free(e->last_error);
	e->last_error = TAKE_PTR(msg);
}

/* ---- the watch ---- */

static void
on_watch(int error, const struct etcd_event *events, size_t n, int64_t rev, void *userdata)
{
	struct store *s = userdata;
	struct store_etcd *e = store_etcd(s);

	if (error == -ESTALE) {
		log_notice(NULL,
		    "etcd compacted its history past revision %lld while this instance was behind; "
		    "reading the whole desired state again",
		    (long long)rev);
		e->watch = NULL; /* over */
		store_etcd_sync_start(s);
		return;
	}
	if (error < 0) {
		log_once(e, "Watching etcd failed", strerror(-error));
		return;
	}
	store_etcd_sync_apply(s, events, n, rev);
}

static void
watch_start(struct store *s)
{
	struct store_etcd *e = store_etcd(s);
	_cleanup_free_ char *key = desired_key(e), *end = key != NULL ? etcd_prefix_end(key) : NULL;
	int r;

	etcd_watch_stop(e->watch);
	e->watch = NULL;
	if (end == NULL)
		return;
	r = etcd_watch_start(e->etcd, key, end, e->rev + 1, on_watch, s, &e->watch);
	if (r < 0) {
		log_once(e, "Cannot watch etcd", strerror(-r));
		sync_retry_later(s);
	}
}

int
store_etcd_sync_apply(struct store *s, const struct etcd_event *ev, size_t n, int64_t rev)
{
	struct store_etcd *e = store_etcd(s);
	bool changed = false;
	int r = 0;

	for (size_t i = 0; r == 0 && i < n; i++) {
		const char *k = key_rel(e, ev[i].kv.key);

		if (k == NULL || ev[i].kv.mod_revision <= e->rev)
			continue; /* ours, already applied, or outside */
		changed = true;
		if (strcmp(k, "desired/rev") == 0)
			e->lock_rev = ev[i].type == ETCD_EVENT_PUT ? ev[i].kv.mod_revision : 0;
		if (ev[i].type == ETCD_EVENT_PUT)
			r = store_etcd_docs_set(&e->docs, k, ev[i].kv.value, ev[i].kv.value_len);
		else
			store_etcd_docs_remove(&e->docs, k);
	}
	if (rev > e->rev)
		e->rev = rev;
	if (r < 0) {
		log_err(NULL, "Out of memory applying an etcd change; reading everything again");
		store_etcd_sync_start(s);
		return r;
	}
	if (changed) {
		log_debug(NULL, "etcd revision %lld: %zu change(s)", (long long)rev, n);
		store_etcd_reconcile(s);
	}
	return 0;
}

/* ---- the first read ---- */

static void
on_retry(evutil_socket_t fd, short what, void *userdata)
{
	(void)fd;
	(void)what;
	store_etcd_sync_start(userdata);
}

static void
sync_retry_later(struct store *s)
{
	struct store_etcd *e = store_etcd(s);
	struct timeval tv = {RETRY_MS / 1000, (RETRY_MS % 1000) * 1000};

	if (e->retry == NULL && (e->retry = evtimer_new(e->base, on_retry, s)) == NULL)
		return;
	evtimer_add(e->retry, &tv);
}

/* The documents of a range reply; -ENOMEM. */
static int
docs_from_range(struct store_etcd *e, const struct etcd_result *res, struct etcd_docs *ret)
{
	struct etcd_docs d = {0};

	e->lock_rev = 0;
	for (size_t i = 0; i < res->n_kvs; i++) {
		const char *k = key_rel(e, res->kvs[i].key);

		if (k == NULL)
			continue;
		if (strcmp(k, "desired/rev") == 0)
			e->lock_rev = res->kvs[i].mod_revision;
		if (store_etcd_docs_set(&d, k, res->kvs[i].value, res->kvs[i].value_len) < 0) {
			store_etcd_docs_clear(&d);
			return -ENOMEM;
		}
	}
	*ret = d;
	return 0;
}

static void
on_read(const struct etcd_result *res, void *userdata)
{
	struct store *s = userdata;
	struct store_etcd *e = store_etcd(s);
	struct etcd_docs d;

	e->reading = false;
	if (res->error == -ECANCELED)
		return;
	if (res->error < 0 || docs_from_range(e, res, &d) < 0) {
		log_once(e, "Cannot read the desired state from etcd",
		    res->error < 0 ? (res->message != NULL ? res->message : strerror(-res->error))
		                   : "out of memory");
		sync_retry_later(s);
		return;
	}
	store_etcd_docs_clear(&e->docs);
	e->docs = d;
	e->rev = res->revision;
	if (e->lock_rev == 0) { /* a new cluster: this instance's state is its first */
		if (store_etcd_seed(s) < 0)
			sync_retry_later(s);
		return;
	}
	if (!e->loaded || e->last_error != NULL)
		log_info(NULL, "Synchronised with etcd at revision %lld (%zu documents)",
		    (long long)e->rev, e->docs.n);
	free(e->last_error);
	e->last_error = NULL;
	e->loaded = true;
	store_etcd_reconcile(s);
	watch_start(s);
}

void
store_etcd_sync_start(struct store *s)
{
	struct store_etcd *e = store_etcd(s);
	_cleanup_free_ char *key = desired_key(e), *end = key != NULL ? etcd_prefix_end(key) : NULL;
	int r;

	if (e->reading || e->closing)
		return;
	if (end == NULL || (r = etcd_range(e->etcd, key, end, 0, on_read, s)) < 0) {
		sync_retry_later(s);
		return;
	}
	e->reading = true;
}

/* ---- reconciling the mirror ---- */

/* Write the configs of the documents that the mirror lacks or has otherwise. */
static void
reconcile_configs_put(struct store *s)
{
	struct store_etcd *e = store_etcd(s);
	const size_t n = strlen("desired/configs/");

	for (size_t i = 0; i < e->docs.n; i++) {
		const struct etcd_doc *d = &e->docs.v[i];
		_cleanup_free_ char *have = NULL, *why = NULL;
		size_t len;

		if (!store_etcd_docs_in(d->key, STORE_ETCD_CONFIGS) || !name_valid(d->key + n))
			continue;
		if (store_local_config_get(e->mirror, d->key + n, &have, &len) == 0 &&
		    len == d->len && memcmp(have, d->value, len) == 0)
			continue;
		if (cloud_config_validate(d->value, d->len, &why) < 0 ||
		    store_local_config_set(e->mirror, d->key + n, d->value, d->len, &why) < 0)
			log_warn(NULL, "Cloud-config \"%s\" from etcd not stored: %s, ignoring",
			    d->key + n, why != NULL ? why : "error");
	}
}

/* Remove the mirror's configs that the documents do not have. */
static void
reconcile_configs_remove(struct store *s)
{
	struct store_etcd *e = store_etcd(s);
	struct store_config_info *list = NULL;
	size_t n = 0;

	if (store_local_config_list(e->mirror, &list, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char key[sizeof("desired/configs/") + NAME_MAX_LEN];

		snprintf(key, sizeof(key), "desired/configs/%s", list[i].name);
		if (store_etcd_docs_get(&e->docs, key) == NULL)
			store_local_config_remove(e->mirror, list[i].name);
	}
	free(list);
}

/* An image the fleet or settings name that etcd has and this instance has not (yet). */
static const char *
missing_image(const struct store_etcd *e, const struct fleet *f, const struct store_settings *st)
{
	for (size_t i = 0; i < f->n_profiles + f->n_machines + 1; i++) {
		const char *n = i < f->n_profiles ? f->profiles[i].image
		                : i < f->n_profiles + f->n_machines
		                    ? f->machines[i - f->n_profiles].image
		                    : st->default_image;
		char key[sizeof("desired/images/") + NAME_MAX_LEN];

		if (n == NULL)
			continue;
		snprintf(key, sizeof(key), "desired/images/%s", n);
		if (store_etcd_docs_get(&e->docs, key) != NULL &&
		    !store_etcd_docs_origin_boot(&e->docs, n) &&
		    (!store_local_image_exists(e->mirror, n) || store_etcd_peers_fetching(e, n)))
			return n;
	}
	return NULL;
}

/* Whether the mirror's documents of 'classes' differ from etcd's. */
static bool
mirror_differs(struct store_etcd *e, unsigned classes)
{
	struct etcd_docs mine = {0};
	struct etcd_op *ops = NULL;
	size_t n = 1;

	if (store_etcd_docs_build(e->mirror, classes, &mine) == 0)
		store_etcd_docs_diff(&e->docs, &mine, classes, &ops, &n);
	store_etcd_docs_clear(&mine);
	free(ops);
	return n > 0;
}

static void
hold(struct store_etcd *e, const char *image)
{
	if (image == NULL || (e->held != NULL && strcmp(e->held, image) == 0))
		return;
	log_info(NULL,
	    "The fleet of etcd revision %lld needs image \"%s\", not here yet: serving the "
	    "previous fleet until it has arrived",
	    (long long)e->rev, image);
	free(e->held);
	e->held = strdup(image);
}

/* The fleet and the settings; false when held back for an image. */
static bool
reconcile_fleet(struct store *s)
{
	struct store_etcd *e = store_etcd(s);
	struct fleet f = {0};
	struct store_settings st = {0};
	_cleanup_free_ char *why = NULL;
	const char *missing;
	int r;

	if ((r = store_etcd_docs_fleet(&e->docs, &f, &why)) < 0 ||
	    (r = store_etcd_docs_settings(&e->docs, &st, &why)) < 0) {
		log_once(e, "The desired state in etcd is not valid", why);
		fleet_clear(&f);
		return false;
	}
	if ((missing = missing_image(e, &f, &st)) != NULL) {
		hold(e, missing);
		fleet_clear(&f);
		store_settings_clear(&st);
		return false;
	}
	free(e->held);
	e->held = NULL;
	if (mirror_differs(e, STORE_ETCD_FLEET))
		r = store_local_fleet_replace(e->mirror, &f, NULL, 0, &why);
	else
		fleet_clear(&f);
	if (r == 0 && mirror_differs(e, STORE_ETCD_SETTINGS))
		r = store_local_settings_replace(e->mirror, &st);
	else
		store_settings_clear(&st);
	if (r < 0)
		log_err(NULL, "Cannot write the desired state from etcd to %s: %s",
		    store_state_dir(e->mirror), why != NULL ? why : strerror(-r));
	return r == 0;
}

/* Whether image 'name' is named by the mirror's fleet or settings. */
static bool
image_used(struct store_etcd *e, const char *name)
{
	const struct fleet *f = store_local_fleet_get(e->mirror);

	if (store_streq(store_local_settings_get(e->mirror)->default_image, name))
		return true;
	for (size_t i = 0; i < f->n_profiles; i++)
		if (store_streq(f->profiles[i].image, name))
			return true;
	for (size_t i = 0; i < f->n_machines; i++)
		if (store_streq(f->machines[i].image, name))
			return true;
	return false;
}

/* Remove the images of the mirror that etcd does not have and nothing here uses. */
static void
reconcile_images_remove(struct store *s)
{
	struct store_etcd *e = store_etcd(s);
	struct manifest **v = NULL;
	size_t n = 0;

	if (store_local_image_list(e->mirror, &v, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		const char *name = v[i]->name;
		char key[sizeof("desired/images/") + NAME_MAX_LEN];

		snprintf(key, sizeof(key), "desired/images/%s", name);
		if (store_etcd_docs_get(&e->docs, key) != NULL ||
		    store_etcd_intent_pending(e, name) || image_used(e, name))
			continue;
		log_info(NULL, "Removing image \"%s\": etcd no longer has it", name);
		store_local_image_remove(e->mirror, name);
	}
	store_image_list_free(v, n);
}

void
store_etcd_reconcile(struct store *s)
{
	struct store_etcd *e = store_etcd(s);

	if (!e->loaded || e->closing)
		return;
	if (e->committing) {
		e->reconcile_pending = true;
		return;
	}
	e->reconcile_pending = false;
	store_etcd_peers_fetch(s);
	reconcile_configs_put(s);
	if (!reconcile_fleet(s))
		return;
	reconcile_configs_remove(s);
	reconcile_images_remove(s);
}
