/*
 * The local backend's images: images/<name>/ with the three files and
 * manifest.json; list, get, open, remove and count them.  Images placed by
 * hand (no valid manifest.json) are legacy images, see store.h.
 */
#include "store-local.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "util.h"

/*
 * How old (seconds) the timestamps of images/ must be before a count is
 * cached: a change in the same tick of the filesystem's clock (coarse, on
 * some filesystems whole seconds) can leave them as they were.
 */
#define COUNT_SETTLE_SEC 2

static bool
timespec_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* A manifest for an image placed by hand: the three files' sizes, no digests. */
static int
image_legacy(int fd, const char *name, struct manifest **ret)
{
	struct manifest *m;
	struct stat st;

	if ((m = manifest_new()) == NULL)
		return -ENOMEM;
	m->source_type = MANIFEST_SOURCE_LEGACY;
	for (size_t i = 0; i < MANIFEST_N_FILES; i++) {
		if (fstatat(fd, manifest_file_names[i], &st, 0) < 0 || !S_ISREG(st.st_mode)) {
			manifest_free(m);
			return -ENOENT;
		}
		m->files[i].size = (uint64_t)st.st_size;
	}
	if (fstat(fd, &st) == 0)
		m->created = st.st_mtime;
	if ((m->name = strdup(name)) == NULL) {
		manifest_free(m);
		return -ENOMEM;
	}
	*ret = m;
	return 0;
}

/* The manifest of images/<name>, or a legacy one; -ENOENT if not an image. */
static int
image_read(struct store *s, const char *name, struct manifest **ret)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL, *error = NULL;
	struct manifest *m = NULL;
	size_t len;
	int r;

	if (!name_valid(name))
		return -ENOENT;
	fd = openat(store_local(s)->images_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOMEM ? -ENOMEM : -ENOENT;
	r = fs_read_file_at(fd, "manifest.json", MANIFEST_MAX_SIZE, &text, &len);
	if (r == 0 && (r = manifest_parse(text, len, &m, &error)) == 0) {
		if (strcmp(m->name, name) == 0) {
			*ret = m;
			return 0;
		}
		log_debug(NULL, "Image \"%s\" has a manifest for \"%s\", treating it as legacy",
		    name, m->name);
		manifest_free(m);
	} else if (r != -ENOENT) {
		log_debug(NULL, "Image \"%s\" has a bad manifest.json (%s), treating it as legacy",
		    name, error ? error : strerror(-r));
	}
	return image_legacy(fd, name, ret);
}

/* ---- parsed manifests, kept ---- */

/*
 * A manifest.json read is kept with the file's device, inode, size and
 * timestamps, and given again while a stat of images/<name>/manifest.json
 * finds the same: a commit renames a new directory (another inode), a hand
 * edit changes the timestamps.  Not kept while the file is younger than
 * COUNT_SETTLE_SEC (an edit in the same tick of a coarse clock could leave
 * them as they were), nor for legacy images and images whose manifest is
 * invalid (they are synthesized from the files, read each time).
 */
static bool
manifest_key_eq(const struct store_local_manifest *k, const struct stat *st)
{
	return k->dev == st->st_dev && k->ino == st->st_ino && k->size == st->st_size &&
	       timespec_eq(&k->mtim, &st->st_mtim) && timespec_eq(&k->ctim, &st->st_ctim);
}

static struct store_local_manifest *
manifest_slot(struct store_local *l, const char *name)
{
	for (size_t i = 0; i < STORE_LOCAL_MANIFESTS; i++)
		if (l->manifests[i].m != NULL && strcmp(l->manifests[i].name, name) == 0)
			return &l->manifests[i];
	return NULL;
}

static void
manifest_keep(
    struct store_local *l, const char *name, const struct manifest *m, const struct stat *st)
{
	struct store_local_manifest *k = manifest_slot(l, name);
	struct manifest *copy;

	if (time(NULL) <= st->st_mtim.tv_sec + COUNT_SETTLE_SEC ||
	    time(NULL) <= st->st_ctim.tv_sec + COUNT_SETTLE_SEC || (copy = manifest_dup(m)) == NULL)
		return;
	if (k == NULL) {
		k = &l->manifests[l->next_manifest];
		l->next_manifest = (l->next_manifest + 1) % STORE_LOCAL_MANIFESTS;
	}
	manifest_free(k->m);
	*k = (struct store_local_manifest){.m = copy,
	    .dev = st->st_dev,
	    .ino = st->st_ino,
	    .size = st->st_size,
	    .mtim = st->st_mtim,
	    .ctim = st->st_ctim};
	snprintf(k->name, sizeof(k->name), "%s", name);
}

static int
image_load(struct store *s, const char *name, struct manifest **ret)
{
	struct store_local *l = store_local(s);
	struct store_local_manifest *k;
	char path[NAME_MAX + 32];
	struct manifest *m;
	struct stat st;
	bool have;
	int r;

	if (!name_valid(name))
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/manifest.json", name);
	have = fstatat(l->images_fd, path, &st, 0) == 0 && S_ISREG(st.st_mode);
	k = manifest_slot(l, name);
	if (have && k != NULL && manifest_key_eq(k, &st)) {
		if ((*ret = manifest_dup(k->m)) == NULL)
			return -ENOMEM;
		return 0;
	}
	if ((r = image_read(s, name, &m)) < 0)
		return r;
	if (have && m->source_type != MANIFEST_SOURCE_LEGACY)
		manifest_keep(l, name, m, &st);
	*ret = m;
	return 0;
}

void
store_local_images_free(struct store *s)
{
	struct store_local *l = store_local(s);

	for (size_t i = 0; i < STORE_LOCAL_MANIFESTS; i++) {
		manifest_free(l->manifests[i].m);
		l->manifests[i].m = NULL;
	}
	free(l->only.name);
	l->only = (struct store_local_only){.name = NULL};
}

static int
manifest_cmp(const void *a, const void *b)
{
	return strcmp((*(struct manifest *const *)a)->name, (*(struct manifest *const *)b)->name);
}

int
store_local_image_list(struct store *s, struct manifest ***ret, size_t *ret_n)
{
	struct manifest **list = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int r = fs_opendir(store_local(s)->images_fd, &d);

	if (r < 0)
		return r;
	while (r == 0 && n < STORE_MAX_IMAGES && (de = readdir(d)) != NULL) {
		struct manifest *m, **nl;

		if (de->d_name[0] == '.' || image_load(s, de->d_name, &m) < 0)
			continue;
		if ((nl = realloc(list, (n + 1) * sizeof(*list))) == NULL) {
			manifest_free(m);
			r = -ENOMEM;
			break;
		}
		list = nl;
		list[n++] = m;
	}
	closedir(d);
	if (r < 0) {
		store_image_list_free(list, n);
		return r;
	}
	if (n > 0)
		qsort(list, n, sizeof(*list), manifest_cmp);
	*ret = list;
	*ret_n = n;
	return 0;
}

int
store_local_image_get(struct store *s, const char *name, struct manifest **ret)
{
	return image_load(s, name, ret);
}

bool
store_local_image_exists(struct store *s, const char *name)
{
	struct stat st;

	return name_valid(name) && fstatat(store_local(s)->images_fd, name, &st, 0) == 0 &&
	       S_ISDIR(st.st_mode);
}

int
store_local_image_open(struct store *s, const char *name, enum manifest_file f, off_t *ret_size)
{
	char path[MANIFEST_MAX_NAME + 32];

	snprintf(path, sizeof(path), "%s/%s", name, manifest_file_names[f]);
	return fs_open_beneath_at(store_local(s)->images_fd, path, ret_size);
}

int
store_local_image_remove(struct store *s, const char *name)
{
	int fd = store_local(s)->images_fd, r;
	char tmp[NAME_MAX + 1], sfx[7];

	fs_random_suffix(sfx);
	snprintf(tmp, sizeof(tmp), ".tmp-rm-%s-%s", name, sfx);
	if ((r = fs_rename_noreplace(fd, name, tmp)) < 0)
		return r;
	if (fsync(fd) < 0)
		log_warn(NULL, "Cannot sync \"%s\": %m, ignoring", s->images_dir);
	if ((r = fs_rm_rf_at(fd, tmp)) < 0)
		log_warn("IMAGE=%s",
		    "Cannot delete the files of removed image \"%s\": %s, ignoring", name,
		    strerror(-r));
	return 0;
}

/* The only directory under images/ (not starting with '.'), if exactly one. */
static int
only_scan(struct store *s, char **ret)
{
	char *found = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if (fs_opendir(store_local(s)->images_fd, &d) < 0)
		return -ENOENT;
	while (n < 2 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !store_local_image_exists(s, de->d_name))
			continue;
		if (n++ == 0)
			found = strdup(de->d_name);
	}
	closedir(d);
	if (n != 1 || found == NULL) {
		free(found);
		return n == 1 ? -ENOMEM : -ENOENT;
	}
	*ret = found;
	return 0;
}

/*
 * Kept while the timestamps of images/ stay the same, as the count below:
 * an image added, removed or renamed, by the store or by hand, creates,
 * removes or renames an entry there.
 */
int
store_local_image_only(struct store *s, char **ret)
{
	struct store_local_only *o = &store_local(s)->only;
	char *found = NULL;
	struct stat st;
	int r;

	if (fstat(store_local(s)->images_fd, &st) < 0)
		return -ENOENT;
	if (!o->valid || !timespec_eq(&o->mtim, &st.st_mtim) ||
	    !timespec_eq(&o->ctim, &st.st_ctim)) {
		if ((r = only_scan(s, &found)) == -ENOMEM)
			return r;
		free(o->name);
		*o = (struct store_local_only){
		    .mtim = st.st_mtim, .ctim = st.st_ctim, .name = found};
		o->valid = time(NULL) > st.st_mtim.tv_sec + COUNT_SETTLE_SEC &&
		           time(NULL) > st.st_ctim.tv_sec + COUNT_SETTLE_SEC;
	}
	if (o->name == NULL)
		return -ENOENT;
	if ((*ret = strdup(o->name)) == NULL)
		return -ENOMEM;
	return 0;
}

/* ---- count ---- */

/* Whether images/<name> has the files of kind k (regular files); fstatat only. */
static bool
image_has_files(struct store *s, const char *name, enum manifest_kind k)
{
	char path[NAME_MAX + 32];
	struct stat st;

	for (size_t f = manifest_kind_first(k); f < manifest_kind_end(k); f++) {
		snprintf(path, sizeof(path), "%s/%s", name, manifest_file_names[f]);
		if (fstatat(store_local(s)->images_fd, path, &st, 0) < 0 || !S_ISREG(st.st_mode))
			return false;
	}
	return true;
}

/* An image directory with the three files, or a whole image's boot.efi or boot.iso. */
static bool
image_complete(struct store *s, const char *name)
{
	for (int k = 0; k < _MANIFEST_KIND_MAX; k++)
		if (image_has_files(s, name, (enum manifest_kind)k))
			return true;
	return false;
}

/*
 * Count the complete image directories.  *ret_settled is false if an image
 * directory lacks files: it may be being filled by hand, which does not
 * change the timestamps of images/.
 */
static int
count_scan(struct store *s, size_t *ret_n, bool *ret_settled)
{
	struct dirent *de;
	bool settled = true;
	size_t n = 0;
	DIR *d;
	int r = fs_opendir(store_local(s)->images_fd, &d);

	if (r < 0)
		return r;
	while (n < STORE_MAX_IMAGES && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !store_local_image_exists(s, de->d_name))
			continue;
		if (image_complete(s, de->d_name))
			n++;
		else
			settled = false;
	}
	closedir(d);
	*ret_n = n;
	*ret_settled = settled;
	return 0;
}

/*
 * Cached while the timestamps of images/ stay the same: every change of
 * the store (txn commit, remove) and every image placed or removed by hand
 * renames or creates an entry there.
 */
int
store_local_image_count(struct store *s, size_t *ret_n)
{
	struct store_local_count *c = &store_local(s)->count;
	struct stat st;
	bool settled;
	size_t n;
	int r;

	if (fstat(store_local(s)->images_fd, &st) < 0)
		return -errno;
	if (c->valid && timespec_eq(&c->mtim, &st.st_mtim) && timespec_eq(&c->ctim, &st.st_ctim)) {
		*ret_n = c->n;
		return 0;
	}
	if ((r = count_scan(s, &n, &settled)) < 0)
		return r;
	*c = (struct store_local_count){.mtim = st.st_mtim, .ctim = st.st_ctim, .n = n};
	c->valid = settled && time(NULL) > st.st_mtim.tv_sec + COUNT_SETTLE_SEC;
	*ret_n = n;
	return 0;
}
