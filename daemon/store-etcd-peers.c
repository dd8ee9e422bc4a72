/*
 * The instances of a shared store (store-etcd.h): this instance's lease,
 * its record (instances/<instance>) and its observed state (the readiness
 * of its images, the last boot event of each machine it served), all under
 * the lease so that a dead instance's entries expire; the other instances'
 * records and observed state, from one watch; and the fetching of the
 * images etcd has and this instance lacks, from the instances that have
 * them ready.
 */
#include "store-etcd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "store-local.h"
#include "util.h"

#define FLUSH_MS STORE_ETCD_OBSERVE_MS

static void lease_grant(struct store *s);
static void fetch_run(struct store *s, struct store_etcd_fetch *f);
static void peers_read(struct store *s);

static void
ms_timeval(unsigned ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

/* "<prefix><fmt...>"; malloc'd or NULL. */
static char *
key_abs(const struct store_etcd *e, const char *fmt, const char *a, const char *b)
{
	char *k;

	if (asprintf(&k, "%s%s%s%s", e->prefix, fmt, a != NULL ? a : "", b != NULL ? b : "") < 0)
		return NULL;
	return k;
}

/* A result callback that only logs failures at debug. */
static void
on_put(const struct etcd_result *res, void *userdata)
{
	(void)userdata;
	if (res->error < 0 && res->error != -ECANCELED)
		log_debug(NULL, "etcd write of observed state failed: %s",
		    res->message != NULL ? res->message : strerror(-res->error));
}

static void
put_json(struct store *s, const char *key, const cJSON *v)
{
	struct store_etcd *e = store_etcd(s);
	_cleanup_free_ char *text = cJSON_PrintUnformatted(v);

	if (text != NULL && key != NULL && e->lease != 0)
		etcd_put(e->etcd, key, text, strlen(text), e->lease, on_put, NULL);
}

/* ---- peers ---- */

static struct store_etcd_peer *
peer_get(struct store_etcd *e, const char *instance, bool create)
{
	struct store_etcd_peer *nv;

	for (size_t i = 0; i < e->n_peers; i++)
		if (strcmp(e->peers[i].instance, instance) == 0)
			return &e->peers[i];
	if (!create || e->n_peers >= STORE_ETCD_MAX_INSTANCES ||
	    (nv = realloc(e->peers, (e->n_peers + 1) * sizeof(*nv))) == NULL)
		return NULL;
	e->peers = nv;
	nv = &e->peers[e->n_peers];
	*nv = (struct store_etcd_peer){.instance = strdup(instance),
	    .images = cJSON_CreateObject(),
	    .machines = cJSON_CreateObject()};
	if (nv->instance == NULL || nv->images == NULL || nv->machines == NULL) {
		free(nv->instance);
		cJSON_Delete(nv->images);
		cJSON_Delete(nv->machines);
		return NULL;
	}
	e->n_peers++;
	return nv;
}

static void
peers_clear(struct store_etcd *e)
{
	for (size_t i = 0; i < e->n_peers; i++) {
		free(e->peers[i].instance);
		free(e->peers[i].advertise);
		cJSON_Delete(e->peers[i].images);
		cJSON_Delete(e->peers[i].machines);
	}
	free(e->peers);
	e->peers = NULL;
	e->n_peers = 0;
}

/* Set (value, or NULL to delete) member 'name' of object o. */
static void
object_set(cJSON *o, const char *name, cJSON *value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, name);
	if (value != NULL)
		cJSON_AddItemToObject(o, name, value);
}

/* One key of instances/ or observed/ changed (value NULL: deleted). */
static void
peer_key(struct store *s, const char *rel, const char *value, size_t len, bool live)
{
	struct store_etcd *e = store_etcd(s);
	char inst[NAME_MAX_LEN + 1], kind[16], name[64];
	cJSON *v = value != NULL ? cJSON_ParseWithLength(value, len) : NULL;
	struct store_etcd_peer *p;

	if (sscanf(rel, "instances/%64[^/]", inst) == 1 && strchr(rel + 10, '/') == NULL) {
		if ((p = peer_get(e, inst, v != NULL)) != NULL) {
			const cJSON *a = cJSON_GetObjectItemCaseSensitive(v, "advertise");

			free(p->advertise);
			p->advertise = cJSON_IsString(a) ? strdup(a->valuestring) : NULL;
		}
	} else if (sscanf(rel, "observed/%64[^/]/%15[^/]/%63s", inst, kind, name) == 3 &&
	           (p = peer_get(e, inst, v != NULL)) != NULL) {
		bool machines = strcmp(kind, "machines") == 0;

		if (live && machines && v != NULL && strcmp(inst, e->instance) != 0 &&
		    e->observed_fn != NULL)
			e->observed_fn(inst, v, e->observed_userdata);
		if (machines || strcmp(kind, "images") == 0) {
			object_set(machines ? p->machines : p->images, name, v);
			v = NULL;
		}
	}
	cJSON_Delete(v);
}

/* observed/<instance>/machines/...: a boot event, which changes no source of images. */
static bool
is_boot_event(const char *rel)
{
	const char *p = strncmp(rel, "observed/", 9) == 0 ? strchr(rel + 9, '/') : NULL;

	return p != NULL && strncmp(p, "/machines/", 10) == 0;
}

static void
on_peer_watch(int error, const struct etcd_event *ev, size_t n, int64_t rev, void *userdata)
{
	struct store *s = userdata;
	struct store_etcd *e = store_etcd(s);

	if (error < 0) {
		etcd_watch_stop(e->peer_watch);
		e->peer_watch = NULL;
		peers_read(s); /* compacted: read again */
		return;
	}
	bool sources_changed = false;

	for (size_t i = 0; i < n; i++) {
		const char *k = ev[i].kv.key + strlen(e->prefix);

		sources_changed |= !is_boot_event(k);
		if (ev[i].type == ETCD_EVENT_PUT)
			peer_key(s, k, ev[i].kv.value, ev[i].kv.value_len, true);
		else
			peer_key(s, k, NULL, 0, true);
	}
	e->peer_rev = rev;
	if (sources_changed)
		store_etcd_peers_fetch(s); /* a peer may have what we lack now */
}

static void
on_peers_read(const struct etcd_result *res, void *userdata)
{
	struct store *s = userdata;
	struct store_etcd *e = store_etcd(s);
	_cleanup_free_ char *from = key_abs(e, "instances/", NULL, NULL),
	                    *to = key_abs(e, "observed0", NULL, NULL);

	if (res->error == -ECANCELED)
		return;
	if (res->error < 0 || from == NULL || to == NULL) {
		e->peers_loaded = false; /* retried by the keepalive tick */
		return;
	}
	peers_clear(e);
	for (size_t i = 0; i < res->n_kvs; i++)
		peer_key(s, res->kvs[i].key + strlen(e->prefix), res->kvs[i].value,
		    res->kvs[i].value_len, false);
	e->peers_loaded = true;
	e->peer_rev = res->revision;
	etcd_watch_stop(e->peer_watch);
	e->peer_watch = NULL;
	if (etcd_watch_start(
	        e->etcd, from, to, res->revision + 1, on_peer_watch, s, &e->peer_watch) < 0)
		e->peers_loaded = false;
	store_etcd_peers_fetch(s);
}

/* Range instances/ .. observed/ (one range: nothing sorts between them). */
static void
peers_read(struct store *s)
{
	struct store_etcd *e = store_etcd(s);
	_cleanup_free_ char *from = key_abs(e, "instances/", NULL, NULL),
	                    *to = key_abs(e, "observed0", NULL, NULL);

	if (from != NULL && to != NULL)
		etcd_range(e->etcd, from, to, 0, on_peers_read, s);
}

/* ---- this instance: lease, record, readiness ---- */

static void
publish_record(struct store *s)
{
	struct store_etcd *e = store_etcd(s);
	_cleanup_free_ char *key = key_abs(e, "instances/", e->instance, NULL);
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return;
	cJSON_AddStringToObject(o, "instance", e->instance);
	if (e->advertise != NULL)
		cJSON_AddStringToObject(o, "advertise", e->advertise);
	else
		cJSON_AddNullToObject(o, "advertise");
	cJSON_AddStringToObject(o, "version", NETBOOTD_VERSION);
	cJSON_AddNumberToObject(o, "started", (double)time(NULL));
	put_json(s, key, o);
	cJSON_Delete(o);
}

static void
on_keepalive(const struct etcd_result *res, void *userdata)
{
	struct store *s = userdata;
	struct store_etcd *e = store_etcd(s);

	if (res->error == -ECANCELED)
		return;
	if (res->error == 0 && res->ttl <= 0) { /* expired (etcd was away too long) */
		log_info(NULL, "The etcd lease of instance \"%s\" expired; taking a new one",
		    e->instance);
		e->lease = 0;
		lease_grant(s);
	}
}

static void
on_tick_keepalive(evutil_socket_t fd, short what, void *userdata)
{
	struct store *s = userdata;
	struct store_etcd *e = store_etcd(s);
	struct timeval tv;

	(void)fd;
	(void)what;
	if (e->lease != 0)
		etcd_lease_keepalive(e->etcd, e->lease, on_keepalive, s);
	else
		lease_grant(s);
	if (!e->peers_loaded)
		peers_read(s);
	for (size_t i = 0; i < e->n_fetches; i++) /* failed fetches: try again */
		if (e->fetches[i].failed && !e->fetches[i].running)
			fetch_run(s, &e->fetches[i]);
	ms_timeval(STORE_ETCD_KEEPALIVE_MS, &tv);
	evtimer_add(e->keepalive, &tv);
}

static void
on_grant(const struct etcd_result *res, void *userdata)
{
	struct store *s = userdata;
	struct store_etcd *e = store_etcd(s);

	e->granting = false;
	if (res->error < 0 || res->lease_id == 0)
		return; /* the keepalive tick tries again */
	e->lease = res->lease_id;
	cJSON_Delete(e->published); /* everything again, under the new lease */
	e->published = NULL;
	publish_record(s);
	store_etcd_peers_publish(s);
}

static void
lease_grant(struct store *s)
{
	struct store_etcd *e = store_etcd(s);

	if (e->granting)
		return;
	if (etcd_lease_grant(e->etcd, STORE_ETCD_LEASE_TTL, on_grant, s) == 0)
		e->granting = true;
}

/* This instance's readiness of every image etcd has: {name: {"state"...}}. */
static cJSON *
readiness(struct store_etcd *e)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; o != NULL && i < e->docs.n; i++) {
		const char *name = e->docs.v[i].key + strlen("desired/images/");
		const char *state = "ready";
		cJSON *v;

		if (!store_etcd_docs_in(e->docs.v[i].key, STORE_ETCD_IMAGES))
			continue;
		for (size_t j = 0; j < e->n_fetches; j++)
			if (strcmp(e->fetches[j].name, name) == 0)
				state = e->fetches[j].failed ? "failed" : "fetching";
		if (strcmp(state, "ready") == 0 && !store_local_image_exists(e->mirror, name))
			state = store_etcd_docs_origin_boot(&e->docs, name) ? "origin" : "missing";
		if ((v = cJSON_CreateObject()) == NULL)
			continue;
		cJSON_AddStringToObject(v, "state", state);
		cJSON_AddItemToObject(o, name, v);
	}
	return o;
}

void
store_etcd_peers_publish(struct store *s)
{
	struct store_etcd *e = store_etcd(s);
	cJSON *now = e->closing ? NULL : readiness(e), *v;

	if (now == NULL || e->lease == 0) {
		cJSON_Delete(now);
		return;
	}
	cJSON_ArrayForEach(v, now)
	{
		const cJSON *was = cJSON_GetObjectItemCaseSensitive(e->published, v->string);
		_cleanup_free_ char *key = NULL;

		if (was != NULL && cJSON_Compare(was, v, true))
			continue;
		key = key_abs(e, "observed/", e->instance, "/images/");
		_cleanup_free_ char *full = NULL;
		if (key != NULL && asprintf(&full, "%s%s", key, v->string) >= 0)
			put_json(s, full, v);
	}
	cJSON_ArrayForEach(
	    v, e->published) if (cJSON_GetObjectItemCaseSensitive(now, v->string) == NULL)
	{
		_cleanup_free_ char *key = key_abs(e, "observed/", e->instance, "/images/"),
		                    *full = NULL;

		if (key != NULL && asprintf(&full, "%s%s", key, v->string) >= 0)
			etcd_delete(e->etcd, full, NULL, on_put, NULL);
	}
	cJSON_Delete(e->published);
	e->published = now;
}

/* ---- boot events of this instance ---- */

static void
on_flush(evutil_socket_t fd, short what, void *userdata)
{
	struct store *s = userdata;
	struct store_etcd *e = store_etcd(s);
	_cleanup_free_ char *base = key_abs(e, "observed/", e->instance, "/machines/");
	cJSON *v;

	(void)fd;
	(void)what;
	cJSON_ArrayForEach(v, e->pending_machines)
	{
		_cleanup_free_ char *key = NULL;

		if (base != NULL && asprintf(&key, "%s%s", base, v->string) >= 0)
			put_json(s, key, v);
	}
	cJSON_Delete(e->pending_machines);
	e->pending_machines = NULL;
}

void
store_etcd_peers_observe(struct store *s, const cJSON *event)
{
	struct store_etcd *e = store_etcd(s);
	const cJSON *mac = cJSON_GetObjectItemCaseSensitive(event, "mac");
	cJSON *entry, *events, *copy;
	struct timeval tv;

	if (!cJSON_IsString(mac) || strlen(mac->valuestring) != 17 || e->flush == NULL)
		return;
	if (e->pending_machines == NULL && (e->pending_machines = cJSON_CreateObject()) == NULL)
		return;
	entry = cJSON_GetObjectItemCaseSensitive(e->pending_machines, mac->valuestring);
	if (entry == NULL) {
		if ((entry = cJSON_CreateObject()) == NULL)
			return;
		cJSON_AddStringToObject(entry, "mac", mac->valuestring);
		cJSON_AddStringToObject(entry, "instance", e->instance);
		cJSON_AddArrayToObject(entry, "events");
		cJSON_AddItemToObject(e->pending_machines, mac->valuestring, entry);
	}
	events = cJSON_GetObjectItemCaseSensitive(entry, "events");
	if (cJSON_GetArraySize(events) >= STORE_ETCD_EVENTS_PER_WRITE)
		cJSON_DeleteItemFromArray(events, 0);
	if ((copy = cJSON_Duplicate(event, true)) != NULL)
		cJSON_AddItemToArray(events, copy);
	ms_timeval(FLUSH_MS, &tv);
	if (!evtimer_pending(e->flush, NULL))
		evtimer_add(e->flush, &tv);
}

cJSON *
store_etcd_peers_machines(struct store *s)
{
	struct store_etcd *e = store_etcd(s);
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; o != NULL && i < e->n_peers; i++)
		cJSON_AddItemToObject(
		    o, e->peers[i].instance, cJSON_Duplicate(e->peers[i].machines, true));
	return o;
}

cJSON *
store_etcd_peers_status(const struct store_etcd *e)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a != NULL && i < e->n_peers; i++) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL)
			break;
		cJSON_AddStringToObject(o, "instance", e->peers[i].instance);
		if (e->peers[i].advertise != NULL)
			cJSON_AddStringToObject(o, "advertise", e->peers[i].advertise);
		cJSON_AddBoolToObject(o, "self", strcmp(e->peers[i].instance, e->instance) == 0);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

cJSON *
store_etcd_peers_images(const struct store_etcd *e, const char *name)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; o != NULL && i < e->n_peers; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(e->peers[i].images, name);
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(v, "state");

		if (cJSON_IsString(st))
			cJSON_AddStringToObject(o, e->peers[i].instance, st->valuestring);
	}
	return o;
}

/* ---- fetching images ---- */

bool
store_etcd_replicating(struct store_etcd *e, const char *name)
{
	bool found = false;

	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->n_replicating && !found; i++)
		found = strcmp(e->replicating[i], name) == 0;
	pthread_mutex_unlock(&e->lock);
	return found;
}

static void
replicating_set(struct store_etcd *e, const char *name, bool on)
{
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->n_replicating; i++)
		if (strcmp(e->replicating[i], name) == 0) {
			free(e->replicating[i]);
			e->replicating[i] = e->replicating[--e->n_replicating];
			break;
		}
	char **nv = on ? realloc(e->replicating, (e->n_replicating + 1) * sizeof(*nv)) : NULL;
	if (nv != NULL) {
		e->replicating = nv;
		if ((nv[e->n_replicating] = strdup(name)) != NULL)
			e->n_replicating++;
	}
	pthread_mutex_unlock(&e->lock);
}

bool
store_etcd_peers_fetching(const struct store_etcd *e, const char *name)
{
	for (size_t i = 0; i < e->n_fetches; i++)
		if (strcmp(e->fetches[i].name, name) == 0)
			return true;
	return false;
}

static void
fetch_remove(struct store_etcd *e, size_t i)
{
	manifest_free(e->fetches[i].record);
	free(e->fetches[i].error);
	e->fetches[i] = e->fetches[--e->n_fetches];
}

/* The files of the local image equal the record's. */
static bool
have_record(struct store_etcd *e, const struct manifest *rec)
{
	struct manifest *m = NULL;
	bool same = store_local_image_get(e->mirror, rec->name, &m) == 0 && m->kind == rec->kind;

	for (size_t f = manifest_kind_first(rec->kind); same && f < manifest_kind_end(rec->kind);
	     f++)
		same = m->files[f].has_sha256 && m->files[f].size == rec->files[f].size &&
		       strcmp(m->files[f].sha256, rec->files[f].sha256) == 0;
	same = same && store_streq(m->cmdline, rec->cmdline) == (rec->cmdline != NULL) &&
	       store_streq(m->origin, rec->origin) == (rec->origin != NULL) &&
	       m->origin_boot == rec->origin_boot;
	manifest_free(m);
	return same;
}

struct fetch_ctx {
	struct store *s;
	char name[NAME_MAX_LEN + 1];
};

static void
on_fetched(int r, const char *error, void *userdata)
{
	struct fetch_ctx *ctx = userdata;
	struct store *s = ctx->s;
	struct store_etcd *e = store_etcd(s);

	replicating_set(e, ctx->name, false);
	if (r != -ECANCELED)
		e->fetched[r == 0 ? 0 : 1]++;
	for (size_t i = 0; i < e->n_fetches; i++) {
		struct store_etcd_fetch *f = &e->fetches[i];

		if (strcmp(f->name, ctx->name) != 0)
			continue;
		f->running = false;
		if (r == 0) {
			fetch_remove(e, i);
		} else {
			f->failed = true;
			free(f->error);
			f->error = error != NULL ? strdup(error) : NULL;
		}
		break;
	}
	free(ctx);
	store_etcd_peers_publish(s);
	if (r != -ECANCELED)
		store_etcd_reconcile(s); /* a held fleet may go now; or fetch again */
}

/* The advertise URLs of the instances that have 'name' ready, then its origin; count. */
static size_t
sources(struct store_etcd *e, const struct manifest *rec, const char **v, size_t max)
{
	const char *name = rec->name;
	size_t n = 0;

	for (size_t i = 0; i < e->n_peers && n < max; i++) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(e->peers[i].images, name);
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "state");

		if (strcmp(e->peers[i].instance, e->instance) != 0 && e->peers[i].advertise &&
		    cJSON_IsString(st) && strcmp(st->valuestring, "ready") == 0)
			v[n++] = e->peers[i].advertise;
	}
	if (rec->origin != NULL && n < max)
		v[n++] = rec->origin;
	return n;
}

static void
fetch_run(struct store *s, struct store_etcd_fetch *f)
{
	struct store_etcd *e = store_etcd(s);
	const char *src[STORE_ETCD_MAX_INSTANCES];
	size_t n = sources(e, f->record, src, STORE_ETCD_MAX_INSTANCES);
	struct fetch_ctx *ctx;
	int r;

	if (n == 0 || e->fetch_fn == NULL || (ctx = calloc(1, sizeof(*ctx))) == NULL)
		return; /* no instance has it ready (yet): a peer change tries again */
	ctx->s = s;
	snprintf(ctx->name, sizeof(ctx->name), "%s", f->name);
	replicating_set(e, f->name, true);
	log_info(NULL, "Fetching image \"%s\" from %zu source(s), first %s", f->name, n, src[0]);
	r = e->fetch_fn(f->record, src, n, on_fetched, ctx, e->fetch_userdata);
	if (r < 0) {
		replicating_set(e, f->name, false);
		free(ctx);
		f->failed = true;
		return;
	}
	f->running = true;
	f->failed = false;
}

/* A fetch entry for record m (taken), unless one runs for the same files. */
static void
fetch_want(struct store *s, struct manifest *m)
{
	struct store_etcd *e = store_etcd(s);
	struct store_etcd_fetch *nv;

	for (size_t i = 0; i < e->n_fetches; i++)
		if (strcmp(e->fetches[i].name, m->name) == 0) {
			if (!e->fetches[i].running) {
				manifest_free(e->fetches[i].record);
				e->fetches[i].record = m;
				fetch_run(s, &e->fetches[i]);
			} else {
				manifest_free(m); /* checked again when it ends */
			}
			return;
		}
	if ((nv = realloc(e->fetches, (e->n_fetches + 1) * sizeof(*nv))) == NULL) {
		manifest_free(m);
		return;
	}
	e->fetches = nv;
	nv = &e->fetches[e->n_fetches++];
	*nv = (struct store_etcd_fetch){.record = m};
	snprintf(nv->name, sizeof(nv->name), "%s", m->name);
	fetch_run(s, nv);
}

void
store_etcd_peers_fetch(struct store *s)
{
	struct store_etcd *e = store_etcd(s);

	if (!e->loaded || e->closing)
		return;
	for (size_t i = 0; i < e->docs.n; i++) {
		const char *key = e->docs.v[i].key, *name = key + strlen("desired/images/");
		struct manifest *m;

		if (!store_etcd_docs_in(key, STORE_ETCD_IMAGES) ||
		    store_etcd_intent_pending(e, name) ||
		    store_etcd_docs_image(&e->docs, name, &m, NULL) < 0)
			continue;
		if (have_record(e, m) || (m->origin != NULL && m->origin_boot)) {
			manifest_free(m); /* here, or not needed here */
			continue;
		}
		fetch_want(s, m);
	}
	/* Fetches of images etcd no longer has (or that arrived another way). */
	for (size_t i = e->n_fetches; i-- > 0;) {
		struct manifest *m = NULL;

		if (e->fetches[i].running)
			continue;
		if (store_etcd_docs_image(&e->docs, e->fetches[i].name, &m, NULL) < 0 ||
		    have_record(e, m) || (m->origin != NULL && m->origin_boot))
			fetch_remove(e, i);
		manifest_free(m);
	}
	store_etcd_peers_publish(s);
}

/* ---- start / stop ---- */

void
store_etcd_peers_start(struct store *s)
{
	struct store_etcd *e = store_etcd(s);
	struct timeval tv;

	e->keepalive = evtimer_new(e->base, on_tick_keepalive, s);
	e->flush = evtimer_new(e->base, on_flush, s);
	if (e->keepalive == NULL || e->flush == NULL)
		return;
	lease_grant(s);
	peers_read(s);
	ms_timeval(STORE_ETCD_KEEPALIVE_MS, &tv);
	evtimer_add(e->keepalive, &tv);
}

void
store_etcd_peers_free(struct store_etcd *e)
{
	if (e->keepalive != NULL)
		event_free(e->keepalive);
	if (e->flush != NULL)
		event_free(e->flush);
	peers_clear(e);
	while (e->n_fetches > 0)
		fetch_remove(e, e->n_fetches - 1);
	free(e->fetches);
	e->fetches = NULL;
	for (size_t i = 0; i < e->n_replicating; i++)
		free(e->replicating[i]);
	free(e->replicating);
	cJSON_Delete(e->published);
	cJSON_Delete(e->pending_machines);
}
