/*
 * The local backend of the store (store-backend.h): the directories and
 * files under state_dir described in store.h.  Private to store-local*.c:
 *
 *   store-local.c           open, free, the directories, leftovers; the ops
 *   store-local-json.c      machines.json and settings.json: read, write
 *   store-local-images.c    images/: list, get, open, remove, count
 *   store-local-txn.c       image transactions (worker threads) and busy names
 *   store-local-fleet.c     the fleet: machines.json, and its configs when applied
 *   store-local-configs.c   configs/<name>.yaml
 *   store-local-settings.c  settings.json
 */
#ifndef NETBOOTD_STORE_LOCAL_H
#define NETBOOTD_STORE_LOCAL_H

#include <limits.h>
#include <pthread.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "store-backend.h"

/* store_local_image_count()'s cache, keyed by the timestamps of images/. */
struct store_local_count {
	struct timespec mtim, ctim;
	size_t n;
	bool valid;
};

/*
 * A parsed manifest.json kept (store-local-images.c): valid while the
 * file's identity and timestamps stay those it was read with.
 */
struct store_local_manifest {
	char name[NAME_MAX + 1];
	struct manifest *m;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
};
#define STORE_LOCAL_MANIFESTS 64

/* store_local_image_only()'s answer, keyed by the timestamps of images/ as the count. */
struct store_local_only {
	struct timespec mtim, ctim;
	char *name; /* NULL: -ENOENT */
	bool valid;
};

struct store_local {
	char *configs_dir;                 /* <state>/configs */
	int dir_fd, images_fd, configs_fd; /* immutable after open: txns use images_fd */
	struct fleet fleet;                /* sorted, validated, no configs */
	struct store_settings settings;
	pthread_mutex_t lock; /* guards busy[] */
	char **busy;          /* names with an open txn */
	size_t n_busy;
	struct store_local_count count;
	/* loop thread only, as the image ops */
	struct store_local_manifest manifests[STORE_LOCAL_MANIFESTS];
	unsigned next_manifest; /* the slot to reuse when all are taken */
	struct store_local_only only;
};

static inline struct store_local *
store_local(const struct store *s)
{
	return s->backend;
}

/* store-local.c */
int store_local_open(struct store *s, char **ret_error);
void store_local_free(struct store *s);

/* store-local-json.c: the state files in state_dir. */
/* Read and parse state_dir/name; -ENOENT passes through silently (no message). */
int store_local_json_read(
    struct store *s, const char *name, size_t max, cJSON **ret, char **ret_error);
/* Pretty-print 'root' and write it atomically, refusing more than 'max' bytes (-E2BIG). */
int store_local_json_write(struct store *s, const char *name, const cJSON *root, size_t max);
/* store-local-images.c */
int store_local_image_list(struct store *s, struct manifest ***ret, size_t *ret_n);
int store_local_image_get(struct store *s, const char *name, struct manifest **ret);
bool store_local_image_exists(struct store *s, const char *name);
int store_local_image_open(
    struct store *s, const char *name, enum manifest_file f, off_t *ret_size);
int store_local_image_remove(struct store *s, const char *name);
int store_local_image_count(struct store *s, size_t *ret_n);
int store_local_image_only(struct store *s, char **ret);
/* Free what the image ops keep (store_local_free()). */
void store_local_images_free(struct store *s);

/* store-local-txn.c */
int store_local_txn_begin(struct store_txn *t);
const char *store_local_txn_path(const struct store_txn *t, enum manifest_file f);
int store_local_txn_create(const struct store_txn *t, enum manifest_file f);
int store_local_txn_populate_fds(struct store_txn *t, const int fds[MANIFEST_N_FILES],
    const char *src, store_progress_fn progress, void *userdata, const atomic_bool *cancel,
    char **ret_error);
int store_local_txn_commit(struct store_txn *t, enum manifest_source_type type, const char *source,
    const char *cmdline, bool force, struct manifest **ret, char **ret_error);
void store_local_txn_free(struct store_txn *t);

/* store-local-fleet.c */
int store_local_fleet_load(struct store *s, char **ret_error);
const struct fleet *store_local_fleet_get(const struct store *s);
/* What machines.json holds, as JSON: the lists of kinds_mask (STORE_LOCAL_FLEET_*); NULL: -ENOMEM. */
#define STORE_LOCAL_FLEET_MACHINES 1u
#define STORE_LOCAL_FLEET_PROFILES 2u
#define STORE_LOCAL_FLEET_GROUPS   4u
#define STORE_LOCAL_FLEET_ALL      7u
cJSON *store_local_fleet_to_json(const struct fleet *f, unsigned kinds_mask);
/*
 * Parse such an object (missing "profiles"/"groups" are empty, "machines"
 * is required) into *f, sorted and validated without images and configs;
 * messages start with 'where'.  *f is half-built on failure: clear it.
 */
int store_local_fleet_from_json(
    const cJSON *root, const char *where, struct fleet *f, char **ret_error);
int store_local_fleet_replace(struct store *s, struct fleet *next,
    const struct store_config_change *changes, size_t n_changes, char **ret_error);

/* store-local-configs.c */
int store_local_config_set(
    struct store *s, const char *name, const char *content, size_t len, char **ret_error);
int store_local_config_get(struct store *s, const char *name, char **ret, size_t *ret_len);
bool store_local_config_exists(struct store *s, const char *name);
int store_local_config_list(struct store *s, struct store_config_info **ret, size_t *ret_n);
int store_local_config_remove(struct store *s, const char *name);
/* Write config 'name' under a ".tmp-" name (in ret_tmp), fsync'ed, for _place() or _unstage(). */
int store_local_config_stage(struct store *s, const char *name, const char *content, size_t len,
    char ret_tmp[NAME_MAX + 1], char **ret_error);
/* Rename a staged config into place (the directory is not fsync'ed). */
int store_local_config_place(struct store *s, const char *name, const char *tmp, char **ret_error);
void store_local_config_unstage(struct store *s, const char *tmp);

/* store-local-settings.c */
int store_local_settings_load(struct store *s, char **ret_error);
const struct store_settings *store_local_settings_get(const struct store *s);
int store_local_settings_replace(struct store *s, struct store_settings *next);
/* settings.json's object; NULL: -ENOMEM. */
cJSON *store_local_settings_to_json(const struct store_settings *st);
/* Parse it into *ret (messages start with 'where'); -EBADMSG. */
int store_local_settings_from_json(
    const cJSON *root, const char *where, struct store_settings *ret, char **ret_error);

#endif
