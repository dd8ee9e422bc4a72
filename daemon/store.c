/*
 * The store's front: the functions of store.h, once for every backend.
 * They check their arguments, keep the rules that span nouns and call the
 * backend through s->ops (see store-backend.h for the contract and store.h
 * for the layout, the atomicity rules and the threading contract).
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud-config.h"
#include "config.h"
#include "error.h"
#include "io.h"
#include "store-backend.h"
#include "util.h"

/* The backend store_open() uses. */
static const struct store_ops *const store_backend = &store_local_ops;

static void store_blobs_free(struct store_blobs *b);

/* ---- helpers ---- */

int
store_strdup_or_null(const char *s, char **ret)
{
	*ret = s != NULL ? strdup(s) : NULL;
	return (s != NULL && *ret == NULL) ? -ENOMEM : 0;
}

void
store_settings_clear(struct store_settings *st)
{
	free(st->default_config);
	free(st->default_image);
	*st = (struct store_settings){.default_boot = true};
}

bool
store_streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* ---- open / free ---- */

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	if (s->backend != NULL)
		s->ops->free(s);
	store_blobs_free(s->blobs);
	free(s->state_dir);
	free(s->images_dir);
	free(s);
}

static int
store_open_with(const char *state_dir, const struct store_ops *ops, const struct config *cfg,
    struct event_base *base, struct store **ret, char **ret_error)
{
	struct store *s = calloc(1, sizeof(*s));
	int r;

	if (s == NULL)
		return -ENOMEM;
	s->ops = ops;
	s->cfg = cfg;
	s->base = base;
	if ((s->state_dir = strdup(state_dir)) == NULL ||
	    asprintf(&s->images_dir, "%s/images", state_dir) < 0) {
		s->images_dir = NULL;
		store_free(s);
		return -ENOMEM;
	}
	r = s->ops->open(s, ret_error);
	s->cfg = NULL; /* the backend copied what it keeps */
	if (r < 0) {
		store_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int
store_open(const char *state_dir, struct store **ret, char **ret_error)
{
	return store_open_with(state_dir, store_backend, NULL, NULL, ret, ret_error);
}

int
store_open_config(
    const struct config *cfg, struct event_base *base, struct store **ret, char **ret_error)
{
	if (cfg->store.backend == CONFIG_STORE_LOCAL)
		return store_open(cfg->state_dir, ret, ret_error);
	return store_open_with(cfg->state_dir, &store_etcd_ops, cfg, base, ret, ret_error);
}

const char *
store_backend_name(const struct store *s)
{
	return s->ops == &store_etcd_ops ? "etcd" : "local";
}

const char *
store_instance_name(const struct store *s)
{
	return s->ops->instance_name != NULL ? s->ops->instance_name(s) : NULL;
}

/* ---- sharing ---- */

int
store_writable(struct store *s, char **ret_error)
{
	return s->ops->writable != NULL ? s->ops->writable(s, ret_error) : 0;
}

int
store_commit(struct store *s, store_commit_fn fn, void *userdata)
{
	return s->ops->commit != NULL ? s->ops->commit(s, fn, userdata) : 0;
}

cJSON *
store_status_json(struct store *s)
{
	return s->ops->status_json != NULL ? s->ops->status_json(s) : NULL;
}

cJSON *
store_image_instances(struct store *s, const char *name)
{
	return s->ops->image_instances != NULL ? s->ops->image_instances(s, name) : NULL;
}

void
store_observe(struct store *s, const cJSON *event)
{
	if (s->ops->observe != NULL)
		s->ops->observe(s, event);
}

void
store_set_observed_callback(struct store *s, store_observed_fn fn, void *userdata)
{
	if (s->ops->set_observed_callback != NULL)
		s->ops->set_observed_callback(s, fn, userdata);
}

void
store_set_fetcher(struct store *s, store_fetch_fn fn, void *userdata)
{
	if (s->ops->set_fetcher != NULL)
		s->ops->set_fetcher(s, fn, userdata);
}

bool
store_image_ready(struct store *s, const char *name)
{
	if (!name_valid(name))
		return false;
	return s->ops->image_ready != NULL ? s->ops->image_ready(s, name)
	                                   : s->ops->image_exists(s, name);
}

cJSON *
store_observed_machines(struct store *s)
{
	return s->ops->observed_machines != NULL ? s->ops->observed_machines(s) : NULL;
}

const char *
store_state_dir(const struct store *s)
{
	return s->state_dir;
}

const char *
store_images_dir(const struct store *s)
{
	return s->images_dir;
}

/* ---- images ---- */

void
store_image_list_free(struct manifest **list, size_t n)
{
	for (size_t i = 0; list != NULL && i < n; i++)
		manifest_free(list[i]);
	free(list);
}

int
store_image_list(struct store *s, struct manifest ***ret, size_t *ret_n)
{
	return s->ops->image_list(s, ret, ret_n);
}

int
store_image_count(struct store *s, size_t *ret_n)
{
	return s->ops->image_count(s, ret_n);
}

int
store_image_get(struct store *s, const char *name, struct manifest **ret)
{
	if (!name_valid(name))
		return -ENOENT;
	return s->ops->image_get(s, name, ret);
}

bool
store_image_exists(struct store *s, const char *name)
{
	return name_valid(name) && s->ops->image_exists(s, name);
}

int
store_image_open(struct store *s, const char *name, enum manifest_file f, off_t *ret_size)
{
	if (!name_valid(name) || (size_t)f >= MANIFEST_N_IDS)
		return -ENOENT;
	return s->ops->image_open(s, name, f, ret_size);
}

size_t
store_image_users(const struct store *s, const char *name)
{
	size_t n = store_streq(s->ops->settings_get(s)->default_image, name) ? 1 : 0;

	return n + store_fleet_users(s, name, true, NULL);
}

size_t
store_image_assigned(const struct store *s, const char *name)
{
	size_t n, count = 0;
	const struct fleet_machine *m = store_machine_list(s, &n);

	for (size_t i = 0; i < n; i++)
		count += m[i].image != NULL && strcmp(m[i].image, name) == 0;
	return count;
}

int
store_image_remove(struct store *s, const char *name, bool force, size_t *ret_dangling)
{
	size_t users;
	int r;

	if (!store_image_exists(s, name))
		return -ENOENT;
	users = store_image_users(s, name);
	if (users > 0 && !force)
		return -EBUSY;
	if ((r = s->ops->image_remove(s, name)) < 0)
		return r;
	atomic_fetch_add(&s->images_gen, 1);
	if (ret_dangling != NULL)
		*ret_dangling = users;
	return 0;
}

int
store_image_only(struct store *s, char **ret)
{
	return s->ops->image_only(s, ret);
}

/* ---- images by digest ---- */

struct store_blob {
	char sha256[MANIFEST_SHA256_HEX + 1];
	char name[MANIFEST_MAX_NAME + 1];
	enum manifest_file f;
	uint64_t size;
};

struct store_blobs {
	unsigned gen; /* s->images_gen when built */
	size_t count; /* store_image_count() when built */
	struct store_blob *v;
	size_t n;
};

static void
store_blobs_free(struct store_blobs *b)
{
	if (b == NULL)
		return;
	free(b->v);
	free(b);
}

static int
store_blob_cmp(const void *a, const void *b)
{
	return strcmp(
	    ((const struct store_blob *)a)->sha256, ((const struct store_blob *)b)->sha256);
}

/* Every digest of every image with a manifest, sorted. */
static int
store_blobs_build(struct store *s, unsigned gen, size_t count, struct store_blobs **ret)
{
	_cleanup_free_ struct store_blobs *b = calloc(1, sizeof(*b));
	struct manifest **list = NULL;
	size_t n = 0;
	int r;

	if (b == NULL)
		return -ENOMEM;
	if ((r = store_image_list(s, &list, &n)) < 0)
		return r;
	if (n > 0 && (b->v = calloc(n * MANIFEST_N_IDS, sizeof(*b->v))) == NULL) {
		store_image_list_free(list, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t f = 0; f < MANIFEST_N_IDS; f++) {
			struct store_blob *e = &b->v[b->n];

			if (!list[i]->files[f].has_sha256)
				continue;
			memcpy(e->sha256, list[i]->files[f].sha256, sizeof(e->sha256));
			snprintf(e->name, sizeof(e->name), "%s", list[i]->name);
			e->f = (enum manifest_file)f, e->size = list[i]->files[f].size;
			b->n++;
		}
	store_image_list_free(list, n);
	if (b->n > 0)
		qsort(b->v, b->n, sizeof(*b->v), store_blob_cmp);
	b->gen = gen, b->count = count;
	*ret = TAKE_PTR(b);
	return 0;
}

/* The index, rebuilt first when stale (or when 'force'); *ret_built says whether it was. */
static int
store_blobs_fresh(struct store *s, bool force, bool *ret_built)
{
	unsigned gen = atomic_load(&s->images_gen); /* before listing: a later commit is seen */
	struct store_blobs *b;
	size_t count;
	int r;

	if ((r = store_image_count(s, &count)) < 0)
		return r;
	*ret_built = false;
	if (!force && s->blobs != NULL && s->blobs->gen == gen && s->blobs->count == count)
		return 0;
	if ((r = store_blobs_build(s, gen, count, &b)) < 0)
		return r;
	store_blobs_free(s->blobs);
	s->blobs = b;
	*ret_built = true;
	return 0;
}

/*
 * Open the file the index names for 'key': -ENOENT if it names none,
 * -ESTALE if the file is gone or not of the size its manifest says.
 */
static int
store_blob_try(struct store *s, const struct store_blob *key, off_t *ret_size)
{
	const struct store_blob *e = NULL;
	off_t size;
	int fd;

	if (s->blobs->n > 0)
		e = bsearch(key, s->blobs->v, s->blobs->n, sizeof(*e), store_blob_cmp);
	if (e == NULL)
		return -ENOENT;
	if ((fd = s->ops->image_open(s, e->name, e->f, &size)) < 0)
		return fd == -ENOENT ? -ESTALE : fd;
	if ((uint64_t)size != e->size) {
		close(fd);
		return -ESTALE;
	}
	*ret_size = size;
	return fd;
}

int
store_blob_open(struct store *s, const char *sha256_hex, off_t *ret_size)
{
	struct store_blob key = {.f = MANIFEST_KERNEL};
	bool built;
	int r;

	for (size_t i = 0; i < MANIFEST_SHA256_HEX; i++) {
		int v = io_hex_value(sha256_hex[i]);

		if (v < 0)
			return -EINVAL;
		key.sha256[i] = "0123456789abcdef"[v];
	}
	if (sha256_hex[MANIFEST_SHA256_HEX] != '\0')
		return -EINVAL;
	if ((r = store_blobs_fresh(s, false, &built)) < 0)
		return r;
	r = store_blob_try(s, &key, ret_size);
	if (r == -ESTALE && !built) {
		/* Indexed but gone (an image changed by hand): look once more, from scratch. */
		if ((r = store_blobs_fresh(s, true, &built)) < 0)
			return r;
		r = store_blob_try(s, &key, ret_size);
	}
	return r == -ESTALE ? -ENOENT : r;
}

/* ---- image transactions (any thread) ---- */

int
store_txn_begin(struct store *s, const char *name, struct store_txn **ret)
{
	struct store_txn *t;
	int r;

	if (!name_valid(name))
		return -EINVAL;
	if ((t = calloc(1, sizeof(*t))) == NULL || (t->name = strdup(name)) == NULL) {
		free(t);
		return -ENOMEM;
	}
	t->store = s;
	if ((r = s->ops->txn_begin(t)) < 0) {
		free(t->name);
		free(t);
		return r;
	}
	*ret = t;
	return 0;
}

const char *
store_txn_path(const struct store_txn *t, enum manifest_file f)
{
	return (size_t)f < MANIFEST_N_IDS ? t->store->ops->txn_path(t, f) : NULL;
}

int
store_txn_create(const struct store_txn *t, enum manifest_file f)
{
	return (size_t)f < MANIFEST_N_IDS ? t->store->ops->txn_create(t, f) : -EINVAL;
}

int
store_txn_populate_fds(struct store_txn *t, const int fds[MANIFEST_N_FILES], const char *src,
    store_progress_fn progress, void *userdata, const atomic_bool *cancel, char **ret_error)
{
	return t->store->ops->txn_populate_fds(t, fds, src, progress, userdata, cancel, ret_error);
}

int
store_txn_populate_dir(struct store_txn *t, const char *src_dir, store_progress_fn progress,
    void *userdata, const atomic_bool *cancel, char **ret_error)
{
	_cleanup_close_ int srcfd = open(src_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fds[MANIFEST_N_FILES] = {-1, -1, -1}, r = 0;

	if (srcfd < 0)
		return error_set(ret_error, -errno, "Cannot open directory %s: %m", src_dir);
	for (size_t f = 0; f < MANIFEST_N_FILES && r == 0; f++) {
		fds[f] = openat(srcfd, manifest_file_names[f], O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fds[f] < 0)
			r = error_set(ret_error, -errno, "Cannot open %s/%s: %m", src_dir,
			    manifest_file_names[f]);
	}
	if (r == 0)
		r = store_txn_populate_fds(t, fds, src_dir, progress, userdata, cancel, ret_error);
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		if (fds[f] >= 0)
			close(fds[f]);
	return r;
}

int
store_txn_commit(struct store_txn *t, enum manifest_source_type type, const char *source,
    const char *cmdline, bool force, struct manifest **ret, char **ret_error)
{
	int r;

	if (t->committed || type == MANIFEST_SOURCE_LEGACY ||
	    (type == MANIFEST_SOURCE_FILE) != manifest_kind_whole(t->kind) ||
	    (manifest_kind_whole(t->kind) && cmdline != NULL) || source == NULL ||
	    source[0] == '\0' || !manifest_string_valid(source, MANIFEST_MAX_SOURCE) ||
	    (cmdline != NULL && !manifest_string_valid(cmdline, MANIFEST_MAX_CMDLINE)))
		return error_set(ret_error, -EINVAL, "Invalid source or command line");
	r = t->store->ops->txn_commit(t, type, source, cmdline, force, ret, ret_error);
	if (r < 0)
		return r;
	atomic_fetch_add(&t->store->images_gen, 1);
	t->committed = true;
	return 0;
}

void
store_txn_set_kind(struct store_txn *t, enum manifest_kind kind)
{
	t->kind = kind;
}

int
store_txn_set_origin(struct store_txn *t, const char *url, bool boot)
{
	char *copy = NULL;

	if (url != NULL && !manifest_origin_valid(url))
		return -EINVAL;
	if (store_strdup_or_null(url, &copy) < 0)
		return -ENOMEM;
	free(t->origin);
	t->origin = copy;
	t->origin_boot = url != NULL && boot;
	return 0;
}

void
store_txn_free(struct store_txn *t)
{
	if (t == NULL)
		return;
	t->store->ops->txn_free(t);
	free(t->origin);
	free(t->name);
	free(t);
}

/* ---- cloud-configs ---- */

int
store_config_set(
    struct store *s, const char *name, const char *content, size_t len, char **ret_error)
{
	int r;

	if (!name_valid(name))
		return error_set(ret_error, -EINVAL, "\"%s\" is not a valid config name", name);
	if ((r = cloud_config_validate(content, len, ret_error)) < 0)
		return r;
	return s->ops->config_set(s, name, content, len, ret_error);
}

int
store_config_get(struct store *s, const char *name, char **ret, size_t *ret_len)
{
	if (!name_valid(name))
		return -ENOENT;
	return s->ops->config_get(s, name, ret, ret_len);
}

bool
store_config_exists(struct store *s, const char *name)
{
	return name_valid(name) && s->ops->config_exists(s, name);
}

int
store_config_list(struct store *s, struct store_config_info **ret, size_t *ret_n)
{
	const char *def = store_settings(s)->default_config;
	struct store_config_info *list;
	size_t n;
	int r = s->ops->config_list(s, &list, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		list[i].is_default = store_streq(def, list[i].name);
	*ret = list;
	*ret_n = n;
	return 0;
}

int
store_config_remove(struct store *s, const char *name)
{
	if (!store_config_exists(s, name))
		return -ENOENT;
	if (store_streq(store_settings(s)->default_config, name) ||
	    store_fleet_users(s, name, false, NULL) > 0)
		return -EBUSY;
	return s->ops->config_remove(s, name);
}

/* ---- settings ---- */

const struct store_settings *
store_settings(const struct store *s)
{
	return s->ops->settings_get(s);
}

/* Make 'want' (whose strings are borrowed) the settings: copy and persist it. */
static int
settings_put(struct store *s, const struct store_settings *want)
{
	struct store_settings next = {.default_boot = want->default_boot};

	if (store_strdup_or_null(want->default_config, &next.default_config) < 0 ||
	    store_strdup_or_null(want->default_image, &next.default_image) < 0) {
		store_settings_clear(&next);
		return -ENOMEM;
	}
	return s->ops->settings_replace(s, &next);
}

int
store_set_default_boot(struct store *s, bool enabled)
{
	struct store_settings want = *store_settings(s);

	want.default_boot = enabled;
	return settings_put(s, &want);
}

/* Set (or clear, NULL) settings.default_image or .default_config, which must exist. */
static int
settings_set_name(struct store *s, bool image, const char *name)
{
	struct store_settings want = *store_settings(s);
	bool exists = image ? store_image_exists(s, name) : store_config_exists(s, name);

	if (name != NULL && !exists)
		return -ENOENT;
	*(image ? &want.default_image : &want.default_config) = (char *)name;
	return settings_put(s, &want);
}

int
store_set_default_config(struct store *s, const char *name)
{
	return settings_set_name(s, false, name);
}

int
store_set_default_image(struct store *s, const char *name)
{
	return settings_set_name(s, true, name);
}
