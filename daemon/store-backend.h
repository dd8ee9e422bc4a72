/*
 * The store as an interface: what store.c (the front) and a backend share.
 * Nothing outside daemon/store*.c includes this.
 *
 * The front implements store.h once for every backend: it checks the
 * arguments (names, files, sources, command lines, config contents), keeps
 * the rules that span nouns (a machine may only name an existing image and
 * config, an image or config in use is not removed, which image is the
 * default, the settings setters, the cap on machines, every edit of the
 * fleet and its validation) and calls the backend through s->ops.  The
 * backend keeps the data: images and their files, image transactions, the
 * fleet (machines, profiles, groups), configs and settings.  store-local*.c is the
 * first backend (the directory layout of store.h).  A second one is its own
 * file(s) defining a `const struct store_ops`, declared below, plus the line
 * in store.c that chooses it.
 *
 * THE CONTRACT.  A backend provides every op.  The front calls them only
 * with valid names (name_valid()), files below MANIFEST_N_FILES, machines
 * and settings whose strings it has checked, and contents it has validated;
 * a backend still checks what it reads back from its own storage.  Return
 * values, error codes, messages in *ret_error and the ret_* rules (untouched
 * on failure) are those of the store.h function of the same name unless said
 * otherwise here.
 *
 * THREADING.  Every op runs on the event-loop thread, except the txn_* ops:
 * they run on worker threads, concurrently with each other and with the loop
 * ops.  They may use the txn, what in the backend is immutable after open()
 * (paths, directory fds) and state behind the backend's own lock, nothing
 * else.  A txn_commit() must publish an image in one step, so that loop ops
 * see the old image or the new one, never half of one.
 */
#ifndef NETBOOTD_STORE_BACKEND_H
#define NETBOOTD_STORE_BACKEND_H

#include "store.h"

struct store {
	const struct store_ops *ops;
	char *state_dir;  /* store_open()'s argument */
	char *images_dir; /* <state_dir>/images */
	void *backend;    /* the backend's data: set by ops->open, freed by ops->free */
	/* For the etcd backend's open (NULL otherwise). */
	const struct config *cfg;
	struct event_base *base;
	/* The front's: the digest index of store_blob_open() (store.c, loop thread) and
	 * the count of image commits and removals it is checked against (any thread). */
	struct store_blobs *blobs;
	atomic_uint images_gen;
};

struct store_txn {
	struct store *store;
	char *name;     /* the image being built, a valid name */
	bool committed; /* set by the front once ops->txn_commit succeeded */
	char *origin;   /* the manifest's origin (store_txn_set_origin()), or NULL */
	bool origin_boot;
	enum manifest_kind kind; /* the new image's (store_txn_set_kind()); files by it */
	void *backend;           /* set by ops->txn_begin, freed by ops->txn_free */
};

/* A cloud-config that store_fleet_apply() writes (content) or removes (content NULL). */
struct store_config_change {
	const char *name; /* a valid name */
	const char *content;
	size_t len;
};

struct store_ops {
	/*
	 * Set s->backend up for s->state_dir (creating what is missing,
	 * cleaning leftovers, loading state).  On failure s->backend may hold
	 * a half-built state: free() then tears it down.
	 */
	int (*open)(struct store *s, char **ret_error);
	/* Free s->backend (never NULL here); every txn has been freed. */
	void (*free)(struct store *s);

	/* ---- images (loop) ---- */
	int (*image_list)(struct store *s, struct manifest ***ret, size_t *ret_n);
	int (*image_get)(struct store *s, const char *name, struct manifest **ret);
	bool (*image_exists)(struct store *s, const char *name);
	int (*image_open)(struct store *s, const char *name, enum manifest_file f, off_t *ret_size);
	/* Remove an image that exists; the front has checked its users. */
	int (*image_remove)(struct store *s, const char *name);
	/* How many images, cheaply: without reading any manifest. */
	int (*image_count)(struct store *s, size_t *ret_n);
	/*
	 * The name of the only image, counting every image that exists
	 * (complete or not) if there is exactly one; else -ENOENT.  Malloc'd.
	 */
	int (*image_only)(struct store *s, char **ret);

	/* ---- image transactions (worker threads) ---- */
	/* Start t (t->store, t->name set); on failure nothing is left behind. */
	int (*txn_begin)(struct store_txn *t);
	const char *(*txn_path)(const struct store_txn *t, enum manifest_file f);
	int (*txn_create)(const struct store_txn *t, enum manifest_file f);
	int (*txn_populate_fds)(struct store_txn *t, const int fds[MANIFEST_N_FILES],
	    const char *src, store_progress_fn progress, void *userdata, const atomic_bool *cancel,
	    char **ret_error);
	/* Called once, with a source and command line the front has checked. */
	int (*txn_commit)(struct store_txn *t, enum manifest_source_type type, const char *source,
	    const char *cmdline, bool force, struct manifest **ret, char **ret_error);
	/* Free t->backend (aborting unless t->committed); t->name is still set. */
	void (*txn_free)(struct store_txn *t);

	/* ---- the fleet (loop) ---- */
	/* The current fleet: sorted, validated, no configs.  Never NULL. */
	const struct fleet *(*fleet_get)(const struct store *s);
	/*
	 * Persist 'next' (sorted and validated by the front, no configs) and
	 * make it current, writing and removing the configs of 'changes' (a
	 * NULL content removes one) as store_fleet_apply() describes: all or
	 * nothing before the commit point.  The backend takes next's members
	 * in every case (on failure it clears them and the current fleet stays).
	 */
	int (*fleet_replace)(struct store *s, struct fleet *next,
	    const struct store_config_change *changes, size_t n_changes, char **ret_error);

	/* ---- cloud-configs (loop) ---- */
	/* 'content' has been validated. */
	int (*config_set)(
	    struct store *s, const char *name, const char *content, size_t len, char **ret_error);
	int (*config_get)(struct store *s, const char *name, char **ret, size_t *ret_len);
	bool (*config_exists)(struct store *s, const char *name);
	/* Sorted by name; is_default is left false (the front sets it). */
	int (*config_list)(struct store *s, struct store_config_info **ret, size_t *ret_n);
	/* Remove a config that exists and is not in use. */
	int (*config_remove)(struct store *s, const char *name);

	/* ---- settings (loop) ---- */
	const struct store_settings *(*settings_get)(const struct store *s);
	/*
	 * Persist 'next' and make it current; the backend takes next's strings
	 * in every case (on failure it frees them and the current settings
	 * stay).
	 */
	int (*settings_replace)(struct store *s, struct store_settings *next);

	/* ---- sharing (optional: NULL in the local backend) ---- */
	const char *(*instance_name)(const struct store *s);
	int (*writable)(struct store *s, char **ret_error);
	int (*commit)(struct store *s, store_commit_fn fn, void *userdata);
	cJSON *(*status_json)(struct store *s);
	cJSON *(*image_instances)(struct store *s, const char *name);
	void (*observe)(struct store *s, const cJSON *event);
	void (*set_observed_callback)(struct store *s, store_observed_fn fn, void *userdata);
	cJSON *(*observed_machines)(struct store *s);
	void (*set_fetcher)(struct store *s, store_fetch_fn fn, void *userdata);
	/* NULL: image_exists. */
	bool (*image_ready)(struct store *s, const char *name);
};

/* The backends. */
extern const struct store_ops store_local_ops; /* store-local*.c: the directories of store.h */
extern const struct store_ops store_etcd_ops;  /* store-etcd*.c: etcd, with a local mirror */

/* Helpers of the front for the backends. */

/* *ret = strdup(s), or NULL for NULL; -ENOMEM. */
int store_strdup_or_null(const char *s, char **ret);
/* Free the strings and reset to the defaults (default_boot true). */
void store_settings_clear(struct store_settings *st);
/* Both set and equal. */
bool store_streq(const char *a, const char *b);
#define STORE_WHO_MAX 96
/*
 * How many machines and profiles of the fleet name 'name' as their image
 * (image) or cloud-config (!image); the first of them described in
 * ret_who ("profile \"x\"", "machine 52:54:00:12:34:56") when it is not NULL.
 */
size_t store_fleet_users(
    const struct store *s, const char *name, bool image, char ret_who[STORE_WHO_MAX]);

#endif
