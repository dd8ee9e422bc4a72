/*
 * The mirror -> etcd (store-etcd.h): every change is one transaction that
 * puts the documents that changed and desired/rev, if and only if
 * desired/rev is still at the revision this instance last saw.  A
 * transaction that fails puts the mirror back to etcd's documents.
 */
#include "store-etcd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "error.h"
#include "log.h"
#include "store-local.h"
#include "util.h"

/* One transaction in flight, and what to do when it completes. */
struct commit {
	struct store *s;
	struct etcd_docs sent; /* the documents put (relative keys) */
	char **deleted;        /* relative keys deleted */
	size_t n_deleted;
	store_commit_fn fn;
	void *userdata;
	bool seed;
	int error; /* for a commit that fails before it is sent */
	char *message;
};

void
store_etcd_intents_clear(struct store_etcd *e)
{
	for (size_t i = 0; i < e->n_intents; i++)
		manifest_free(e->intents[i].m);
	free(e->intents);
	e->intents = NULL;
	e->n_intents = 0;
}

bool
store_etcd_intent_pending(struct store_etcd *e, const char *name)
{
	bool found = false;

	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->n_intents && !found; i++)
		found = strcmp(e->intents[i].name, name) == 0;
	pthread_mutex_unlock(&e->lock);
	return found;
}

static void
commit_free(struct commit *c)
{
	store_etcd_docs_clear(&c->sent);
	for (size_t i = 0; i < c->n_deleted; i++)
		free(c->deleted[i]);
	free(c->deleted);
	free(c->message);
	free(c);
}

/* ---- building the operations ---- */

/* The image intents (the last one per name wins) as documents and deletions. */
static int
intents_docs(struct store_etcd *e, struct etcd_docs *put, struct etcd_docs *del)
{
	int r = 0;

	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; r == 0 && i < e->n_intents; i++) {
		const struct store_etcd_intent *it = &e->intents[i];
		_cleanup_free_ char *text = NULL, *key = NULL;

		if (asprintf(&key, "desired/images/%s", it->name) < 0) {
			r = -ENOMEM;
			break;
		}
		store_etcd_docs_remove(put, key);
		store_etcd_docs_remove(del, key);
		if (it->m == NULL)
			r = store_etcd_docs_set(del, key, "", 0);
		else if ((r = manifest_format(it->m, &text)) == 0)
			r = store_etcd_docs_set(put, key, text, strlen(text));
	}
	store_etcd_intents_clear(e);
	pthread_mutex_unlock(&e->lock);
	return r;
}

static int
ops_push(struct etcd_op **v, size_t *n, struct etcd_op op)
{
	struct etcd_op *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (nv == NULL)
		return -ENOMEM;
	nv[(*n)++] = op;
	*v = nv;
	return 0;
}

/* Fill c->sent / c->deleted from the dirty classes and the intents. */
static int
commit_collect(struct store_etcd *e, unsigned classes, struct commit *c)
{
	struct etcd_docs built = {0}, del = {0};
	struct etcd_op *diff = NULL;
	size_t n = 0;
	int r = store_etcd_docs_build(e->mirror, classes, &built);

	if (r == 0)
		r = store_etcd_docs_diff(&e->docs, &built, classes, &diff, &n);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = diff[i].type == ETCD_OP_PUT ? store_etcd_docs_set(&c->sent, diff[i].key,
		                                      diff[i].value, diff[i].value_len)
		                                : store_etcd_docs_set(&del, diff[i].key, "", 0);
	free(diff);
	store_etcd_docs_clear(&built);
	if (r == 0)
		r = intents_docs(e, &c->sent, &del);
	for (size_t i = 0; r == 0 && i < del.n; i++) {
		char **nv = realloc(c->deleted, (c->n_deleted + 1) * sizeof(*nv));

		if (nv == NULL || store_etcd_docs_get(&e->docs, del.v[i].key) == NULL) {
			r = nv == NULL ? -ENOMEM : 0;
			c->deleted = nv != NULL ? nv : c->deleted;
			continue;
		}
		c->deleted = nv;
		if ((c->deleted[c->n_deleted] = strdup(del.v[i].key)) == NULL)
			r = -ENOMEM;
		else
			c->n_deleted++;
	}
	store_etcd_docs_clear(&del);
	return r;
}

/* ---- completion ---- */

/* etcd has the change: so do the documents. */
static void
commit_applied(struct store_etcd *e, struct commit *c, int64_t revision)
{
	for (size_t i = 0; i < c->sent.n; i++)
		if (store_etcd_docs_set(
		        &e->docs, c->sent.v[i].key, c->sent.v[i].value, c->sent.v[i].len) < 0)
			e->rev = 0; /* out of memory: the next read repairs it */
	for (size_t i = 0; i < c->n_deleted; i++)
		store_etcd_docs_remove(&e->docs, c->deleted[i]);
	e->lock_rev = revision;
	if (revision > e->rev)
		e->rev = revision;
}

void
store_etcd_serving_clear(struct store_etcd *e)
{
	if (!e->serving)
		return;
	fleet_clear(&e->serve_fleet);
	store_settings_clear(&e->serve_settings);
	e->serving = false;
}

/*
 * Until etcd confirms, serve what it has: the fleet and settings of its
 * documents (the mirror already holds the change).  Not for a seed, nor
 * when the documents do not parse (then the mirror is served).
 */
static void
serving_start(struct store_etcd *e, unsigned classes)
{
	if (!(classes & (STORE_ETCD_FLEET | STORE_ETCD_SETTINGS | STORE_ETCD_CONFIGS)) ||
	    e->lock_rev == 0)
		return;
	if (store_etcd_docs_fleet(&e->docs, &e->serve_fleet, NULL) < 0) {
		fleet_clear(&e->serve_fleet);
		return;
	}
	if (store_etcd_docs_settings(&e->docs, &e->serve_settings, NULL) < 0) {
		fleet_clear(&e->serve_fleet);
		return;
	}
	e->serving = true;
}

/* The commits that waited for the one that just ended, one at a time. */
static void
commit_next(struct store *s)
{
	struct store_etcd *e = store_etcd(s);

	while (!e->committing && !e->closing && e->n_waiters > 0) {
		struct store_etcd_waiter w = e->waiters[0];

		memmove(&e->waiters[0], &e->waiters[1], --e->n_waiters * sizeof(w));
		int r = store_etcd_commit(s, w.fn, w.userdata);
		if (r <= 0) /* nothing left to commit, or a failure before sending */
			w.fn(r, r < 0 ? strerror(-r) : NULL, w.userdata);
	}
}

static void
commit_finish(struct commit *c, int r, const char *message)
{
	struct store *s = c->s;
	struct store_etcd *e = store_etcd(s);

	store_etcd_serving_clear(e);
	if (!c->seed)
		e->commits[r == 0 ? 0 : r == -ESTALE ? 1 : 2]++;
	e->committing = false;
	e->dirty = 0;
	if (e->closing) {
		/* shutting down: nothing more to do with etcd */
	} else if (c->seed) {
		store_etcd_sync_start(s);
	} else if (r < 0 || e->reconcile_pending) {
		store_etcd_reconcile(s); /* back to etcd's documents */
	} else {
		store_etcd_peers_publish(s); /* the readiness of an image just added or removed */
	}
	if (c->fn != NULL)
		c->fn(r, message, c->userdata);
	commit_free(c);
	commit_next(s);
}

static void
on_txn(const struct etcd_result *res, void *userdata)
{
	struct commit *c = userdata;
	struct store_etcd *e = store_etcd(c->s);
	_cleanup_free_ char *msg = NULL;
	int r = 0;

	if (res->error == 0 && res->succeeded) {
		commit_applied(e, c, res->revision);
		log_debug(NULL, "Committed %zu document(s) to etcd at revision %lld",
		    c->sent.n + c->n_deleted, (long long)res->revision);
	} else if (res->error == 0) {
		r = -ESTALE;
		msg = strdup(c->seed ? "Another instance seeded etcd first"
		                     : "The shared state was changed through another instance "
		                       "meanwhile; nothing was changed, run the command again");
	} else {
		r = res->error == -ECANCELED ? -ECANCELED : -EHOSTUNREACH;
		if (asprintf(&msg,
		        "etcd did not confirm the change (%s); if it did not reach etcd it is "
		        "undone here",
		        res->message != NULL ? res->message : strerror(-res->error)) < 0)
			msg = NULL;
	}
	if (c->seed && r == -ESTALE)
		log_warn(NULL, "%s: taking the state etcd has instead of this instance's", msg);
	else if (c->seed && r == 0)
		log_info(NULL, "Seeded etcd with this instance's state (%zu documents)", c->sent.n);
	commit_finish(c, r, msg);
}

static void
on_failed_early(evutil_socket_t fd, short what, void *userdata)
{
	struct commit *c = userdata;

	(void)fd;
	(void)what;
	commit_finish(c, c->error, c->message);
}

/* ---- sending ---- */

static int
commit_send(struct store_etcd *e, struct commit *c, const char *rev_text)
{
	struct etcd_op *ops = NULL;
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; r == 0 && i < c->sent.n; i++)
		r = ops_push(&ops, &n,
		    (struct etcd_op){.type = ETCD_OP_PUT,
		        .key = c->sent.v[i].key,
		        .value = c->sent.v[i].value,
		        .value_len = c->sent.v[i].len});
	for (size_t i = 0; r == 0 && i < c->n_deleted; i++)
		r = ops_push(
		    &ops, &n, (struct etcd_op){.type = ETCD_OP_DELETE, .key = c->deleted[i]});
	if (r == 0)
		r = ops_push(&ops, &n,
		    (struct etcd_op){.type = ETCD_OP_PUT,
		        .key = "desired/rev",
		        .value = rev_text,
		        .value_len = strlen(rev_text)});
	if (r == 0 && n > STORE_ETCD_MAX_TXN_OPS)
		r = -E2BIG;
	/* The keys are relative: make them absolute for etcd. */
	_cleanup_free_ char **abs = r == 0 ? calloc(n, sizeof(*abs)) : NULL;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (abs == NULL || asprintf(&abs[i], "%s%s", e->prefix, ops[i].key) < 0) {
			r = -ENOMEM;
			break;
		}
		ops[i].key = abs[i];
	}
	if (r == 0) {
		_cleanup_free_ char *lock = NULL;
		struct etcd_cmp cmp = {.result = ETCD_CMP_EQUAL};

		if (asprintf(&lock, "%sdesired/rev", e->prefix) < 0)
			r = -ENOMEM;
		cmp.key = lock;
		cmp.target = e->lock_rev == 0 ? ETCD_CMP_CREATE : ETCD_CMP_MOD;
		cmp.number = e->lock_rev;
		struct etcd_txn t = {
		    .compares = &cmp, .n_compares = 1, .success = ops, .n_success = n};
		if (r == 0)
			r = etcd_txn(e->etcd, &t, on_txn, c);
	}
	for (size_t i = 0; abs != NULL && i < n; i++)
		free(abs[i]);
	free(ops);
	return r;
}

/* The counter value desired/rev gets next. */
static int64_t
next_counter(const struct store_etcd *e)
{
	const struct etcd_doc *d = store_etcd_docs_get(&e->docs, "desired/rev");

	return (d != NULL ? strtoll(d->value, NULL, 10) : 0) + 1;
}

/* Send c, or report its failure from the loop; always 1 (fn will run). */
static int
commit_start(struct store_etcd *e, struct commit *c)
{
	char rev_text[24];
	int r;

	snprintf(rev_text, sizeof(rev_text), "%lld", (long long)next_counter(e));
	e->committing = true;
	if ((r = commit_send(e, c, rev_text)) == 0) {
		/* applied to the documents with the rest when etcd confirms */
		store_etcd_docs_set(&c->sent, "desired/rev", rev_text, strlen(rev_text));
		return 1;
	}
	c->error = r == -E2BIG ? -E2BIG : -EHOSTUNREACH;
	if (r == -E2BIG)
		r = asprintf(&c->message,
		    "The change needs more than %d etcd operations in one transaction (%zu "
		    "documents); make it in smaller parts",
		    STORE_ETCD_MAX_TXN_OPS, c->sent.n + c->n_deleted);
	else
		r = asprintf(&c->message, "Cannot send the change to etcd: %s", strerror(-r));
	if (r < 0)
		c->message = NULL;
	if (event_base_once(e->base, -1, EV_TIMEOUT, on_failed_early, c, &(struct timeval){0}) < 0)
		commit_finish(c, c->error, c->message);
	return 1;
}

int
store_etcd_commit(struct store *s, store_commit_fn fn, void *userdata)
{
	struct store_etcd *e = store_etcd(s);
	struct commit *c;
	int r;

	if (e->committing) { /* after the one in flight */
		struct store_etcd_waiter *nv =
		    realloc(e->waiters, (e->n_waiters + 1) * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		e->waiters = nv;
		e->waiters[e->n_waiters++] = (struct store_etcd_waiter){fn, userdata};
		return 1;
	}
	if (e->dirty == 0 && e->n_intents == 0)
		return 0;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	*c = (struct commit){.s = s, .fn = fn, .userdata = userdata};
	if ((r = commit_collect(e, e->dirty, c)) < 0) {
		commit_free(c);
		e->dirty = 0;
		store_etcd_reconcile(s);
		return r;
	}
	if (c->sent.n == 0 && c->n_deleted == 0) {
		e->dirty = 0;
		commit_free(c);
		return 0;
	}
	serving_start(e, e->dirty);
	return commit_start(e, c);
}

/* ---- seeding ---- */

/* The local images with digests, as documents. */
static int
seed_images(struct store_etcd *e, struct etcd_docs *d)
{
	struct manifest **v = NULL;
	size_t n = 0;
	int r = store_local_image_list(e->mirror, &v, &n);

	for (size_t i = 0; r == 0 && i < n; i++) {
		_cleanup_free_ char *text = NULL, *key = NULL;

		if (v[i]->source_type == MANIFEST_SOURCE_LEGACY) {
			log_warn(NULL,
			    "Image \"%s\" has no digests (placed by hand): not shared through "
			    "etcd, ignoring",
			    v[i]->name);
			continue;
		}
		if (asprintf(&key, "desired/images/%s", v[i]->name) < 0 ||
		    manifest_format(v[i], &text) < 0)
			r = -ENOMEM;
		else
			r = store_etcd_docs_set(d, key, text, strlen(text));
	}
	store_image_list_free(v, n);
	return r;
}

int
store_etcd_seed(struct store *s)
{
	struct store_etcd *e = store_etcd(s);
	struct commit *c = calloc(1, sizeof(*c));
	int r;

	if (c == NULL)
		return -ENOMEM;
	*c = (struct commit){.s = s, .seed = true};
	r = store_etcd_docs_build(
	    e->mirror, STORE_ETCD_FLEET | STORE_ETCD_SETTINGS | STORE_ETCD_CONFIGS, &c->sent);
	if (r == 0)
		r = seed_images(e, &c->sent);
	if (r < 0) {
		commit_free(c);
		return r;
	}
	log_info(NULL, "etcd has no desired state under \"%s\": seeding it with this instance's",
	    e->prefix);
	return commit_start(e, c) < 0 ? -EIO : 0;
}
