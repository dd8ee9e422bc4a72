/*
 * The etcd backend of the store (store-backend.h, docs/cluster.md): the
 * desired state of every instance lives in etcd under store.prefix; this
 * instance keeps the local backend, in its own state directory, as the
 * mirror it serves from.  Private to store-etcd*.c:
 *
 *   store-etcd.c          open, free, the ops (reads from the mirror, writes
 *                         to the mirror, marked for the next commit), status
 *   store-etcd-docs.c     the documents: the fleet, settings, configs and
 *                         images as the etcd values they are stored in
 *   store-etcd-sync.c     etcd -> mirror: the first read, seeding an empty
 *                         etcd, the watch, reconciling the mirror
 *   store-etcd-commit.c   mirror -> etcd: one transaction per change
 *   store-etcd-peers.c    this instance's lease, its record and its
 *                         observed state; the other instances; replication
 *
 * The keys, below the prefix (values are JSON unless said otherwise):
 *
 *   desired/rev             a change counter (decimal text); every change
 *                           compares its mod_revision (the optimistic lock)
 *   desired/fleet           {"profiles": [...], "groups": [...]}
 *   desired/machines/<xx>   {"machines": [...]}: the machines whose MAC
 *                           hashes to shard xx (00..3f)
 *   desired/settings        settings.json
 *   desired/configs/<name>  a cloud-config's text
 *   desired/images/<name>   the image's manifest.json
 *   instances/<instance>    {"instance", "advertise", "version", "started"}
 *   observed/<instance>/images/<name>    {"state", "sha256", "error"}
 *   observed/<instance>/machines/<mac>   {"mac", "instance", "events": [...]}:
 *                           the machine's boot events of the last second
 *
 * The instances/ and observed/ keys live under the instance's lease.
 */
#ifndef NETBOOTD_STORE_ETCD_H
#define NETBOOTD_STORE_ETCD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "etcd.h"
#include "store-backend.h"

#define STORE_ETCD_SHARDS           64
#define STORE_ETCD_LEASE_TTL        10   /* seconds */
#define STORE_ETCD_KEEPALIVE_MS     3000 /* lease renewal period */
#define STORE_ETCD_MAX_TXN_OPS      120  /* below etcd's default --max-txn-ops (128) */
#define STORE_ETCD_OBSERVE_MS       1000 /* boot events of one machine: at most one write per second */
#define STORE_ETCD_MAX_INSTANCES    64
#define STORE_ETCD_EVENTS_PER_WRITE 16 /* events of one machine in one observed write */

/* The document classes a change can touch. */
#define STORE_ETCD_FLEET    1u
#define STORE_ETCD_SETTINGS 2u
#define STORE_ETCD_CONFIGS  4u
#define STORE_ETCD_IMAGES   8u

/* One value below the prefix: key "desired/fleet", ... */
struct etcd_doc {
	char *key;
	char *value;
	size_t len;
};

/* Sorted by key, no duplicates. */
struct etcd_docs {
	struct etcd_doc *v;
	size_t n;
};

/* An image change waiting for the next commit: a manifest to put, or a removal. */
struct store_etcd_intent {
	char name[NAME_MAX_LEN + 1];
	struct manifest *m; /* NULL: removed */
};

/* A store_commit() that waits for the one in flight (an import finishing meanwhile). */
struct store_etcd_waiter {
	store_commit_fn fn;
	void *userdata;
};

/* What another instance (or this one) says about itself and its images. */
struct store_etcd_peer {
	char *instance;
	char *advertise; /* "http://A:port" or NULL */
	cJSON *images;   /* {name: {"state", ...}} from observed/<instance>/images/ */
	cJSON *machines; /* {mac: event} from observed/<instance>/machines/ */
};

/* An image this instance is fetching (store-etcd-peers.c). */
struct store_etcd_fetch {
	char name[NAME_MAX_LEN + 1];
	struct manifest *record; /* what is being fetched */
	bool running;
	bool
	    failed; /* the last attempt failed: retried at the next peer change or keepalive tick */
	char *error; /* why */
};

struct store_etcd {
	struct store *mirror; /* the local backend in the same state directory */
	struct event_base *base;
	struct etcd *etcd;
	char *prefix;          /* "/netbootd/" */
	char *instance;        /* this instance's name */
	char *advertise;       /* its blob URL base, or NULL */
	struct etcd_docs docs; /* desired/ as etcd has it at 'rev' */
	int64_t rev;           /* the etcd revision docs reflect */
	int64_t lock_rev;      /* mod_revision of desired/rev; 0: absent */
	bool loaded;           /* the first read is done */
	bool closing;          /* being freed: callbacks start nothing */
	bool reading;          /* a full read is in flight */
	struct etcd_watch *watch, *peer_watch;
	struct event *retry; /* re-read after a failure */
	char *last_error;    /* what the last failed read said (logged once) */

	/* mirror -> etcd */
	unsigned dirty;       /* STORE_ETCD_* classes changed in the mirror */
	pthread_mutex_t lock; /* guards intents (image commits run on worker threads) */
	struct store_etcd_intent *intents;
	size_t n_intents;
	bool committing;
	bool reconcile_pending; /* docs changed while a commit was in flight */
	/*
	 * While a commit is in flight, what etcd has (the documents), not the
	 * mirror's uncommitted change, is what boot decisions and readers see.
	 */
	struct store_etcd_waiter *waiters; /* commits asked for while one was in flight */
	size_t n_waiters;
	bool serving;
	struct fleet serve_fleet;
	struct store_settings serve_settings;
	char *held; /* the image the fleet waits for, or NULL */

	/* peers, lease, observed state */
	int64_t lease;
	struct event *keepalive;
	struct store_etcd_peer *peers;
	size_t n_peers;
	struct store_etcd_fetch *fetches;
	size_t n_fetches;
	store_fetch_fn fetch_fn;
	void *fetch_userdata;
	char **replicating; /* names being fetched: their commits are not intents (lock) */
	size_t n_replicating;
	cJSON *published;        /* this instance's observed images as last written */
	cJSON *pending_machines; /* boot events to write: {mac: event} */
	struct event *flush;     /* writes pending_machines */
	bool peers_loaded;
	bool granting;
	int64_t peer_rev;
	/* for status and /metrics */
	uint64_t commits[3]; /* committed, refused as changed concurrently, not confirmed */
	uint64_t fetched[2]; /* images fetched here, fetches that failed */
	void (*observed_fn)(const char *instance, const cJSON *event, void *userdata);
	void *observed_userdata;
};

static inline struct store_etcd *
store_etcd(const struct store *s)
{
	return s->backend;
}

/* store-etcd-docs.c */
void store_etcd_docs_clear(struct etcd_docs *d);
const struct etcd_doc *store_etcd_docs_get(const struct etcd_docs *d, const char *key);
/* Insert or replace a copy; -ENOMEM. */
int store_etcd_docs_set(struct etcd_docs *d, const char *key, const char *value, size_t len);
void store_etcd_docs_remove(struct etcd_docs *d, const char *key);
/* Whether 'key' belongs to one of the classes. */
bool store_etcd_docs_in(const char *key, unsigned classes);
/* The fleet's documents (desired/fleet and its non-empty shards), added to *d. */
int store_etcd_docs_build_fleet(const struct fleet *f, struct etcd_docs *d);
/* The documents of the mirror's state for 'classes' (not images), added to *d. */
int store_etcd_docs_build(struct store *mirror, unsigned classes, struct etcd_docs *d);
/*
 * The operations that turn 'old' into 'new' for the keys of 'classes':
 * PUTs and DELETEs borrowing the strings of the two sets; malloc'd array.
 */
int store_etcd_docs_diff(const struct etcd_docs *old, const struct etcd_docs *new, unsigned classes,
    struct etcd_op **ret, size_t *ret_n);
/* The desired state in 'd', checked as store_open() checks the local files. */
int store_etcd_docs_fleet(const struct etcd_docs *d, struct fleet *ret, char **ret_error);
int store_etcd_docs_settings(
    const struct etcd_docs *d, struct store_settings *ret, char **ret_error);
/* The image record of desired/images/<name>; -ENOENT, -EBADMSG. */
int store_etcd_docs_image(
    const struct etcd_docs *d, const char *name, struct manifest **ret, char **ret_error);
/* Whether etcd's record of 'name' says boot scripts fetch its files from the origin. */
bool store_etcd_docs_origin_boot(const struct etcd_docs *d, const char *name);
/* The shard key of a MAC: "desired/machines/xx". */
void store_etcd_docs_shard(const uint8_t mac[MAC_LEN], char ret[32]);

/* store-etcd-sync.c */
/* Start (or restart) the first read: range desired/, then watch. */
void store_etcd_sync_start(struct store *s);
/* Make the mirror what the documents say (or as close as the images present allow). */
void store_etcd_reconcile(struct store *s);
/* A key of the desired state changed in etcd (a watch event, or the first read). */
int store_etcd_sync_apply(struct store *s, const struct etcd_event *ev, size_t n, int64_t rev);

/* store-etcd-commit.c */
int store_etcd_commit(struct store *s, store_commit_fn fn, void *userdata);
int store_etcd_seed(struct store *s);
void store_etcd_intents_clear(struct store_etcd *e);
/* Stop serving etcd's documents instead of the mirror (a commit ended). */
void store_etcd_serving_clear(struct store_etcd *e);
bool store_etcd_intent_pending(struct store_etcd *e, const char *name);

/* store-etcd-peers.c */
void store_etcd_peers_start(struct store *s);
void store_etcd_peers_free(struct store_etcd *e);
/* The images of 'd' the mirror lacks or has with other files: fetch them. */
void store_etcd_peers_fetch(struct store *s);
/* Whether image 'name' is being fetched (not yet servable here). */
bool store_etcd_peers_fetching(const struct store_etcd *e, const char *name);
/* Readiness of 'name' on every instance: {"instance": "ready", ...}. */
cJSON *store_etcd_peers_images(const struct store_etcd *e, const char *name);
void store_etcd_peers_observe(struct store *s, const cJSON *event);
cJSON *store_etcd_peers_status(const struct store_etcd *e);
cJSON *store_etcd_peers_machines(struct store *s);
/* Whether 'name' is being replicated here (any thread). */
bool store_etcd_replicating(struct store_etcd *e, const char *name);
/* This instance's readiness changed: write what differs (loop). */
void store_etcd_peers_publish(struct store *s);

#endif
