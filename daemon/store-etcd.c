/*
 * The etcd backend (store-etcd.h): open, free and the ops.  Reads come from
 * the mirror (and, for images not fetched yet, from etcd's records); writes
 * change the mirror as the local backend does and mark what the next
 * store_commit() must send.
 */
#include "store-etcd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "curl-dl.h"
#include "error.h"
#include "log.h"
#include "store-local.h"
#include "util.h"

static struct store *
mirror(const struct store *s)
{
	return store_etcd(s)->mirror;
}

/* ---- open / free ---- */

static void
etcd_backend_free(struct store *s)
{
	struct store_etcd *e = store_etcd(s);

	/* Cancel first, while everything the callbacks touch is there. */
	e->closing = true;
	etcd_watch_stop(e->watch);
	etcd_watch_stop(e->peer_watch);
	etcd_free(e->etcd);
	store_etcd_peers_free(e);
	if (e->retry != NULL)
		event_free(e->retry);
	store_free(e->mirror);
	for (size_t i = 0; i < e->n_waiters; i++) /* their clients are gone already */
		e->waiters[i].fn(-ECANCELED, "netbootd is stopping", e->waiters[i].userdata);
	free(e->waiters);
	store_etcd_serving_clear(e);
	store_etcd_docs_clear(&e->docs);
	store_etcd_intents_clear(e);
	pthread_mutex_destroy(&e->lock);
	free(e->prefix);
	free(e->instance);
	free(e->advertise);
	free(e->last_error);
	free(e->held);
	free(e);
	s->backend = NULL;
}

/* This instance's name and blob URL, from netbootd.yaml. */
static int
identity(struct store_etcd *e, const struct config *cfg)
{
	char host[256] = "";
	char addr[INET_ADDRSTRLEN];

	if (cfg->store.instance != NULL)
		e->instance = strdup(cfg->store.instance);
	else if (gethostname(host, sizeof(host) - 1) == 0 && name_valid(host))
		e->instance = strdup(host);
	else
		e->instance = strdup("netbootd");
	if (e->instance == NULL)
		return -ENOMEM;
	if (!cfg->has_advertise || !cfg->http.enabled)
		return 0;
	inet_ntop(AF_INET, &cfg->advertise, addr, sizeof(addr));
	if (asprintf(&e->advertise, "http://%s:%u", addr, (unsigned)cfg->http.port) < 0) {
		e->advertise = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int
client_open(struct store_etcd *e, const struct config *cfg, char **ret_error)
{
	struct etcd_options o = {
	    .endpoints = (const char *const *)cfg->store.endpoints,
	    .n_endpoints = cfg->store.n_endpoints,
	    .ca = cfg->store.tls.ca,
	    .cert = cfg->store.tls.cert,
	    .key = cfg->store.tls.key,
	    .username = cfg->store.username,
	    .password = cfg->store.password,
	};
	_cleanup_free_ char *why = NULL;
	int r = curl_dl_open(&why);

	if (r < 0)
		return error_set(ret_error, r, "etcd backend needs libcurl (%s): %s",
		    CURL_DL_SONAME, why != NULL ? why : strerror(-r));
	if ((r = etcd_new(e->base, &o, &e->etcd)) < 0)
		return error_set(ret_error, r, "Cannot set up the etcd client: %s", strerror(-r));
	return 0;
}

static int
etcd_backend_open(struct store *s, char **ret_error)
{
	const struct config *cfg = s->cfg;
	struct store_etcd *e = calloc(1, sizeof(*e));
	int r;

	if (e == NULL)
		return -ENOMEM;
	s->backend = e;
	pthread_mutex_init(&e->lock, NULL);
	e->base = s->base;
	if (s->base == NULL || cfg == NULL || cfg->store.n_endpoints == 0)
		return error_set(ret_error, -EINVAL, "store.backend etcd needs store.endpoints");
	if ((e->prefix = strdup(cfg->store.prefix != NULL ? cfg->store.prefix
	                                                  : CONFIG_DEFAULT_ETCD_PREFIX)) == NULL ||
	    identity(e, cfg) < 0)
		return -ENOMEM;
	/* The mirror: this state directory, served from until etcd says otherwise. */
	if ((r = store_open(s->state_dir, &e->mirror, ret_error)) < 0)
		return r;
	if ((r = client_open(e, cfg, ret_error)) < 0)
		return r;
	log_info(NULL, "Store: etcd at %s (prefix \"%s\"), this instance \"%s\"%s%s",
	    cfg->store.endpoints[0], e->prefix, e->instance,
	    e->advertise != NULL ? ", blobs at " : ", no advertise: not a source of images",
	    e->advertise != NULL ? e->advertise : "");
	store_etcd_sync_start(s);
	store_etcd_peers_start(s);
	return 0;
}

/* ---- images ---- */

/* The records of etcd without bytes here, appended to the local list. */
static int
image_list(struct store *s, struct manifest ***ret, size_t *ret_n)
{
	struct store_etcd *e = store_etcd(s);
	struct manifest **v = NULL;
	size_t n = 0;
	int r = store_local_image_list(e->mirror, &v, &n);

	for (size_t i = 0; r == 0 && i < e->docs.n; i++) {
		const char *key = e->docs.v[i].key;
		struct manifest *m, **nv;

		if (!store_etcd_docs_in(key, STORE_ETCD_IMAGES))
			continue;
		key += strlen("desired/images/");
		if (store_local_image_exists(e->mirror, key) ||
		    store_etcd_docs_image(&e->docs, key, &m, NULL) < 0)
			continue;
		if ((nv = realloc(v, (n + 1) * sizeof(*nv))) == NULL) {
			manifest_free(m);
			r = -ENOMEM;
			break;
		}
		v = nv;
		v[n++] = m;
	}
	if (r < 0) {
		store_image_list_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int
image_get(struct store *s, const char *name, struct manifest **ret)
{
	struct store_etcd *e = store_etcd(s);

	if (store_local_image_exists(e->mirror, name))
		return store_local_image_get(e->mirror, name, ret);
	return store_etcd_docs_image(&e->docs, name, ret, NULL) < 0 ? -ENOENT : 0;
}

static bool
image_in_docs(const struct store_etcd *e, const char *name)
{
	char key[sizeof("desired/images/") + NAME_MAX_LEN];

	snprintf(key, sizeof(key), "desired/images/%s", name);
	return store_etcd_docs_get(&e->docs, key) != NULL;
}

static bool
image_exists(struct store *s, const char *name)
{
	return store_local_image_exists(mirror(s), name) || image_in_docs(store_etcd(s), name);
}

/* Its bytes are here, or its boot scripts send machines to its origin. */
static bool
image_ready(struct store *s, const char *name)
{
	return store_local_image_exists(mirror(s), name) ||
	       store_etcd_docs_origin_boot(&store_etcd(s)->docs, name);
}

static int
image_open(struct store *s, const char *name, enum manifest_file f, off_t *ret_size)
{
	return store_local_image_open(mirror(s), name, f, ret_size);
}

/* Record the removal for the next commit, and remove the bytes here. */
static int
image_remove(struct store *s, const char *name)
{
	struct store_etcd *e = store_etcd(s);
	struct store_etcd_intent it = {0};
	int r = 0;

	snprintf(it.name, sizeof(it.name), "%s", name);
	if (store_etcd_replicating(e, name)) /* a replica that failed its check: local only */
		return store_local_image_remove(e->mirror, name);
	pthread_mutex_lock(&e->lock);
	struct store_etcd_intent *nv = realloc(e->intents, (e->n_intents + 1) * sizeof(*nv));
	if (nv != NULL) {
		e->intents = nv;
		e->intents[e->n_intents++] = it;
	}
	pthread_mutex_unlock(&e->lock);
	if (nv == NULL)
		return -ENOMEM;
	if (store_local_image_exists(e->mirror, name))
		r = store_local_image_remove(e->mirror, name);
	return r;
}

static int
image_count(struct store *s, size_t *ret_n)
{
	struct manifest **v;
	size_t n;
	int r = image_list(s, &v, &n);

	if (r < 0)
		return r;
	store_image_list_free(v, n);
	*ret_n = n;
	return 0;
}

static int
image_only(struct store *s, char **ret)
{
	struct manifest **v;
	size_t n;
	int r = image_list(s, &v, &n);

	if (r < 0)
		return r;
	r = n == 1 ? 0 : -ENOENT;
	if (r == 0 && (*ret = strdup(v[0]->name)) == NULL)
		r = -ENOMEM;
	store_image_list_free(v, n);
	return r;
}

/* ---- image transactions (worker threads): the mirror's, with the intent recorded ---- */

#define ON_MIRROR(t, call)                                                                         \
	({                                                                                         \
		struct store *outer_ = (t)->store;                                                 \
		(t)->store = store_etcd(outer_)->mirror;                                           \
		__typeof__(call) r_ = (call);                                                      \
		(t)->store = outer_;                                                               \
		r_;                                                                                \
	})

static int
txn_begin(struct store_txn *t)
{
	return ON_MIRROR(t, store_local_txn_begin(t));
}

static const char *
txn_path(const struct store_txn *t, enum manifest_file f)
{
	struct store_txn copy = *t;

	copy.store = store_etcd(t->store)->mirror;
	return store_local_txn_path(&copy, f);
}

static int
txn_create(const struct store_txn *t, enum manifest_file f)
{
	struct store_txn copy = *t;

	copy.store = store_etcd(t->store)->mirror;
	return store_local_txn_create(&copy, f);
}

static int
txn_populate_fds(struct store_txn *t, const int fds[MANIFEST_N_FILES], const char *src,
    store_progress_fn progress, void *userdata, const atomic_bool *cancel, char **ret_error)
{
	return ON_MIRROR(
	    t, store_local_txn_populate_fds(t, fds, src, progress, userdata, cancel, ret_error));
}

static int
txn_commit(struct store_txn *t, enum manifest_source_type type, const char *source,
    const char *cmdline, bool force, struct manifest **ret, char **ret_error)
{
	struct store_etcd *e = store_etcd(t->store);
	struct manifest *m = NULL;
	int r =
	    ON_MIRROR(t, store_local_txn_commit(t, type, source, cmdline, force, &m, ret_error));

	if (r < 0)
		return r;
	if (store_etcd_replicating(e, m->name)) { /* a replica of etcd's record */
		if (ret != NULL)
			*ret = m;
		else
			manifest_free(m);
		return 0;
	}
	struct store_etcd_intent it = {.m = manifest_dup(m)};
	snprintf(it.name, sizeof(it.name), "%s", m->name);
	pthread_mutex_lock(&e->lock);
	struct store_etcd_intent *nv =
	    it.m != NULL ? realloc(e->intents, (e->n_intents + 1) * sizeof(*nv)) : NULL;
	if (nv != NULL) {
		e->intents = nv;
		e->intents[e->n_intents++] = it;
	}
	pthread_mutex_unlock(&e->lock);
	if (nv == NULL) {
		manifest_free(it.m);
		log_warn(NULL, "Out of memory recording image \"%s\" for etcd", m->name);
	}
	if (ret != NULL)
		*ret = m;
	else
		manifest_free(m);
	return 0;
}

static void
txn_free(struct store_txn *t)
{
	struct store *outer = t->store;

	t->store = store_etcd(outer)->mirror;
	store_local_txn_free(t);
	t->store = outer;
}

/* ---- fleet, configs, settings: the mirror's, marked ---- */

static const struct fleet *
fleet_get(const struct store *s)
{
	const struct store_etcd *e = store_etcd(s);

	return e->serving ? &e->serve_fleet : store_local_fleet_get(e->mirror);
}

static int
fleet_replace(struct store *s, struct fleet *next, const struct store_config_change *changes,
    size_t n_changes, char **ret_error)
{
	int r = store_local_fleet_replace(mirror(s), next, changes, n_changes, ret_error);

	if (r == 0)
		store_etcd(s)->dirty |= STORE_ETCD_FLEET | (n_changes > 0 ? STORE_ETCD_CONFIGS : 0);
	return r;
}

static int
config_set(struct store *s, const char *name, const char *content, size_t len, char **ret_error)
{
	int r = store_local_config_set(mirror(s), name, content, len, ret_error);

	if (r == 0)
		store_etcd(s)->dirty |= STORE_ETCD_CONFIGS;
	return r;
}

/* While a commit is in flight: etcd's document of config 'name', or NULL. */
static const struct etcd_doc *
config_doc(const struct store_etcd *e, const char *name)
{
	char key[sizeof("desired/configs/") + NAME_MAX_LEN];

	snprintf(key, sizeof(key), "desired/configs/%s", name);
	return store_etcd_docs_get(&e->docs, key);
}

static int
config_get(struct store *s, const char *name, char **ret, size_t *ret_len)
{
	const struct store_etcd *e = store_etcd(s);
	const struct etcd_doc *d;

	if (!e->serving)
		return store_local_config_get(e->mirror, name, ret, ret_len);
	if ((d = config_doc(e, name)) == NULL)
		return -ENOENT;
	if ((*ret = malloc(d->len + 1)) == NULL)
		return -ENOMEM;
	memcpy(*ret, d->value, d->len + 1);
	*ret_len = d->len;
	return 0;
}

static bool
config_exists(struct store *s, const char *name)
{
	const struct store_etcd *e = store_etcd(s);

	return e->serving ? config_doc(e, name) != NULL
	                  : store_local_config_exists(e->mirror, name);
}

static int
config_list(struct store *s, struct store_config_info **ret, size_t *ret_n)
{
	return store_local_config_list(mirror(s), ret, ret_n);
}

static int
config_remove(struct store *s, const char *name)
{
	int r = store_local_config_remove(mirror(s), name);

	if (r == 0)
		store_etcd(s)->dirty |= STORE_ETCD_CONFIGS;
	return r;
}

static const struct store_settings *
settings_get(const struct store *s)
{
	const struct store_etcd *e = store_etcd(s);

	return e->serving ? &e->serve_settings : store_local_settings_get(e->mirror);
}

static int
settings_replace(struct store *s, struct store_settings *next)
{
	int r = store_local_settings_replace(mirror(s), next);

	if (r == 0)
		store_etcd(s)->dirty |= STORE_ETCD_SETTINGS;
	return r;
}

/* ---- sharing ---- */

static const char *
instance_name(const struct store *s)
{
	return store_etcd(s)->instance;
}

static int
writable(struct store *s, char **ret_error)
{
	struct store_etcd *e = store_etcd(s);

	if (!e->loaded || !etcd_is_up(e->etcd))
		return error_set(ret_error, -EHOSTUNREACH,
		    "The shared store is unavailable: %s; this instance serves its last state and "
		    "takes changes again when etcd is back",
		    !e->loaded ? "not yet synchronised with etcd" : "etcd cannot be reached");
	if (e->committing)
		return error_set(ret_error, -EAGAIN, "A change is being committed");
	if (e->held != NULL)
		return error_set(ret_error, -EBUSY,
		    "This instance is still fetching image \"%s\", which the newest fleet needs; "
		    "make the change through another instance or try again when it is here",
		    e->held);
	return 0;
}

static cJSON *
status_json(struct store *s)
{
	struct store_etcd *e = store_etcd(s);
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "backend", "etcd");
	cJSON_AddStringToObject(o, "instance", e->instance);
	cJSON_AddStringToObject(o, "etcd", etcd_is_up(e->etcd) ? "up" : "down");
	cJSON_AddBoolToObject(o, "synchronised", e->loaded);
	cJSON_AddBoolToObject(o, "committing", e->committing);
	cJSON_AddNumberToObject(o, "revision", (double)e->rev);
	if (e->held != NULL)
		cJSON_AddStringToObject(o, "waiting_for_image", e->held);
	cJSON_AddNumberToObject(o, "fetching", (double)e->n_fetches);
	cJSON_AddNumberToObject(o, "commits", (double)e->commits[0]);
	cJSON_AddNumberToObject(o, "commits_conflict", (double)e->commits[1]);
	cJSON_AddNumberToObject(o, "commits_unconfirmed", (double)e->commits[2]);
	cJSON_AddNumberToObject(o, "images_fetched", (double)e->fetched[0]);
	cJSON_AddNumberToObject(o, "image_fetches_failed", (double)e->fetched[1]);
	cJSON_AddItemToObject(o, "instances", store_etcd_peers_status(e));
	return o;
}

static cJSON *
image_instances(struct store *s, const char *name)
{
	return store_etcd_peers_images(store_etcd(s), name);
}

static void
set_observed_callback(struct store *s, store_observed_fn fn, void *userdata)
{
	store_etcd(s)->observed_fn = fn;
	store_etcd(s)->observed_userdata = userdata;
}

static void
set_fetcher(struct store *s, store_fetch_fn fn, void *userdata)
{
	store_etcd(s)->fetch_fn = fn;
	store_etcd(s)->fetch_userdata = userdata;
	store_etcd_peers_fetch(s);
}

const struct store_ops store_etcd_ops = {
    .open = etcd_backend_open,
    .free = etcd_backend_free,
    .image_list = image_list,
    .image_get = image_get,
    .image_exists = image_exists,
    .image_ready = image_ready,
    .image_open = image_open,
    .image_remove = image_remove,
    .image_count = image_count,
    .image_only = image_only,
    .txn_begin = txn_begin,
    .txn_path = txn_path,
    .txn_create = txn_create,
    .txn_populate_fds = txn_populate_fds,
    .txn_commit = txn_commit,
    .txn_free = txn_free,
    .fleet_get = fleet_get,
    .fleet_replace = fleet_replace,
    .config_set = config_set,
    .config_get = config_get,
    .config_exists = config_exists,
    .config_list = config_list,
    .config_remove = config_remove,
    .settings_get = settings_get,
    .settings_replace = settings_replace,
    .instance_name = instance_name,
    .writable = writable,
    .commit = store_etcd_commit,
    .status_json = status_json,
    .image_instances = image_instances,
    .observe = store_etcd_peers_observe,
    .set_observed_callback = set_observed_callback,
    .observed_machines = store_etcd_peers_machines,
    .set_fetcher = set_fetcher,
};
