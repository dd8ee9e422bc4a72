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
image_load(struct store *s, const char *name, struct manifest **ret)
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
int
store_local_image_only(struct store *s, char **ret)
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

static bool
timespec_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
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
