/*
 * The local backend's image transactions: images/.tmp-<name>-XXXXXX filled
 * and checked, then renamed to images/<name>.  The only part of the store
 * that worker threads run (see THREADING in store.h): it uses the txn, the
 * store's images_fd and images_dir (immutable after open) and the set of
 * busy names under its mutex.
 */
#include "store-local.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "io.h"
#include "log.h"
#include "sha256.h"
#include "squashfs-super.h"
#include "util.h"

#define COPY_CHUNK     (1024 * 1024)
#define SQUASHFS_MAGIC "hsqs"

/* t->backend */
struct txn {
	char *tmp_path; /* <images>/.tmp-<name>-XXXXXX */
	const char *tmp_name;
	int dir_fd; /* the temp directory: its files are opened through it only */
	char *paths[MANIFEST_N_IDS];
	struct manifest_file_info files[MANIFEST_N_IDS];
};

static struct txn *
txn(const struct store_txn *t)
{
	return t->backend;
}

/* ---- busy names ---- */

static int
busy_add(struct store_local *l, const char *name)
{
	char **nb, *copy;
	int r = 0;

	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < l->n_busy; i++)
		if (strcmp(l->busy[i], name) == 0)
			r = -EBUSY;
	if (r == 0 && ((copy = strdup(name)) == NULL ||
	                  (nb = realloc(l->busy, (l->n_busy + 1) * sizeof(*nb))) == NULL)) {
		free(copy);
		r = -ENOMEM;
	}
	if (r == 0) {
		l->busy = nb;
		l->busy[l->n_busy++] = copy;
	}
	pthread_mutex_unlock(&l->lock);
	return r;
}

static void
busy_remove(struct store_local *l, const char *name)
{
	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < l->n_busy; i++) {
		if (strcmp(l->busy[i], name) != 0)
			continue;
		free(l->busy[i]);
		l->busy[i] = l->busy[--l->n_busy];
		break;
	}
	pthread_mutex_unlock(&l->lock);
}

void
store_local_txn_free(struct store_txn *st)
{
	struct txn *t = txn(st);

	if (t == NULL)
		return;
	if (!st->committed && t->tmp_name != NULL) {
		int r = fs_rm_rf_at(store_local(st->store)->images_fd, t->tmp_name);
		if (r < 0)
			log_warn(
			    NULL, "Cannot remove \"%s\": %s, ignoring", t->tmp_path, strerror(-r));
	}
	busy_remove(store_local(st->store), st->name);
	if (t->dir_fd >= 0)
		close(t->dir_fd);
	for (size_t i = 0; i < MANIFEST_N_IDS; i++)
		free(t->paths[i]);
	free(t->tmp_path);
	free(t);
	st->backend = NULL;
}

/* Make the temp directory and the paths of its files. */
static int
txn_mkdir(struct store_txn *st)
{
	struct txn *t = txn(st);

	if (asprintf(&t->tmp_path, "%s/.tmp-%s-XXXXXX", st->store->images_dir, st->name) < 0) {
		t->tmp_path = NULL;
		return -ENOMEM;
	}
	/* mkdtemp makes it 0700; a published image is world-readable like the rest. */
	if (mkdtemp(t->tmp_path) == NULL)
		return -errno;
	t->tmp_name = strrchr(t->tmp_path, '/') + 1;
	t->dir_fd = openat(store_local(st->store)->images_fd, t->tmp_name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (t->dir_fd < 0 || fchmod(t->dir_fd, 0755) < 0)
		return -errno;
	for (size_t i = 0; i < MANIFEST_N_IDS; i++)
		if (asprintf(&t->paths[i], "%s/%s", t->tmp_path, manifest_file_names[i]) < 0) {
			t->paths[i] = NULL;
			return -ENOMEM;
		}
	return 0;
}

int
store_local_txn_begin(struct store_txn *st)
{
	struct store_local *l = store_local(st->store);
	int r;

	if ((r = busy_add(l, st->name)) < 0)
		return r;
	if ((st->backend = calloc(1, sizeof(struct txn))) == NULL) {
		busy_remove(l, st->name);
		return -ENOMEM;
	}
	txn(st)->dir_fd = -1;
	if ((r = txn_mkdir(st)) < 0) {
		store_local_txn_free(st);
		return r;
	}
	return 0;
}

const char *
store_local_txn_path(const struct store_txn *t, enum manifest_file f)
{
	return txn(t)->paths[f];
}

/* A new file f in the temp directory, never a name that exists or a symlink. */
int
store_local_txn_create(const struct store_txn *t, enum manifest_file f)
{
	int fd = openat(txn(t)->dir_fd, manifest_file_names[f],
	    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

	return fd < 0 ? -errno : fd;
}

/* ---- populate ---- */

struct copy_job {
	const char *file; /* "kernel", ... */
	int in, out;      /* out < 0: digest only */
	uint64_t total;
	store_progress_fn progress;
	void *userdata;
	const atomic_bool *cancel;
};

/* Read 'in' to the end, digesting and (if out >= 0) copying; fills size and sha256. */
static int
copy_digest(const struct copy_job *j, struct manifest_file_info *ret)
{
	_cleanup_free_ unsigned char *buf = malloc(COPY_CHUNK);
	struct sha256 ctx;
	uint64_t done = 0;
	int r = 0;

	if (buf == NULL)
		return -ENOMEM;
	sha256_init(&ctx);
	for (;;) {
		if (j->cancel != NULL && atomic_load(j->cancel)) {
			r = -ECANCELED;
			break;
		}
		ssize_t n = read(j->in, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		sha256_update(&ctx, buf, (size_t)n);
		if (j->out >= 0 && (r = io_write_all(j->out, buf, (size_t)n)) < 0)
			break;
		done += (uint64_t)n;
		if (j->progress != NULL)
			j->progress(j->file, done, j->total, j->userdata);
	}
	if (r < 0)
		return r;
	ret->size = done;
	ret->has_sha256 = true;
	sha256_final_hex(&ctx, ret->sha256);
	return 0;
}

/* The state directory's file system has room for 'size' more bytes (or cannot tell). */
static int
space_check(const struct txn *t, uint64_t size)
{
	struct statvfs vfs;

	if (fstatvfs(t->dir_fd, &vfs) < 0)
		return 0;
	return size > (uint64_t)vfs.f_bavail * vfs.f_frsize ? -ENOSPC : 0;
}

/* Copy the open file 'in' (named src/name in messages) into the txn as f. */
static int
copy_one(struct txn *t, int in, const char *src, enum manifest_file f, struct copy_job *j,
    char **ret_error)
{
	const char *name = manifest_file_names[f];
	_cleanup_close_ int out = -1;
	struct stat st;
	int r;

	if (fstat(in, &st) < 0)
		return error_set(ret_error, -errno, "Cannot read %s/%s: %m", src, name);
	if (!S_ISREG(st.st_mode))
		return error_set(ret_error, -EINVAL, "%s/%s is not a regular file", src, name);
	if ((r = space_check(t, (uint64_t)st.st_size)) < 0)
		return error_set(ret_error, r,
		    "Cannot copy %s/%s: %lld bytes, more than the free space of %s", src, name,
		    (long long)st.st_size, t->tmp_path);
	out = openat(t->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0)
		return error_set(ret_error, -errno, "Cannot create %s: %m", t->paths[f]);
	j->file = name, j->in = in, j->out = out, j->total = (uint64_t)st.st_size;
	if ((r = copy_digest(j, &t->files[f])) < 0)
		return error_set(ret_error, r, "Cannot copy %s/%s: %s", src, name, strerror(-r));
	if (close(TAKE_FD(out)) < 0)
		return error_set(ret_error, -errno, "Cannot write %s: %m", t->paths[f]);
	return 0;
}

int
store_local_txn_populate_fds(struct store_txn *st, const int fds[MANIFEST_N_FILES], const char *src,
    store_progress_fn progress, void *userdata, const atomic_bool *cancel, char **ret_error)
{
	struct copy_job j = {.progress = progress, .userdata = userdata, .cancel = cancel};
	const size_t first = manifest_kind_first(st->kind);
	int r;

	for (size_t f = first; f < manifest_kind_end(st->kind); f++)
		if ((r = copy_one(
		         txn(st), fds[f - first], src, (enum manifest_file)f, &j, ret_error)) < 0)
			return r;
	return 0;
}

/* ---- commit ---- */

/* The squashfs super block, checked against the file's size (lib/format/squashfs-super.h). */
static int
rootfs_check(int fd, uint64_t size, char **ret_error)
{
	uint8_t head[SQUASHFS_SUPER_SIZE];
	struct squashfs_super sb;
	const char *why = NULL;
	ssize_t n = pread(fd, head, sizeof(head), 0);

	if (n < 4 || memcmp(head, SQUASHFS_MAGIC, 4) != 0)
		return error_set(ret_error, -EINVAL, "rootfs.squashfs is not a squashfs image");
	if (squashfs_super_parse(head, (size_t)n, &sb) < 0 ||
	    squashfs_super_check(&sb, size, &why) < 0)
		return error_set(ret_error, -EINVAL, "rootfs.squashfs is not a valid squashfs: %s",
		    why != NULL ? why : "shorter than its super block");
	return 0;
}

/* Digest a file written by another producer; fsync every file. */
static int
txn_finish_file(struct txn *t, enum manifest_file f, char **ret_error)
{
	const char *name = manifest_file_names[f];
	_cleanup_close_ int fd = openat(t->dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct copy_job j = {.file = name, .in = fd, .out = -1};
	int r;

	if (fd < 0 && errno == ELOOP)
		return error_set(ret_error, -ELOOP,
		    "The image's %s was replaced by a symbolic link while it was written", name);
	if (fd < 0)
		return error_set(
		    ret_error, errno == ENOENT ? -EINVAL : -errno, "The image has no %s: %m", name);
	if (!t->files[f].has_sha256 && (r = copy_digest(&j, &t->files[f])) < 0)
		return error_set(ret_error, r, "Cannot read %s: %s", t->paths[f], strerror(-r));
	if (fsync(fd) < 0)
		return error_set(ret_error, -errno, "Cannot sync %s: %m", t->paths[f]);
	if (f != MANIFEST_ROOTFS && t->files[f].size == 0)
		return error_set(ret_error, -EINVAL, "The %s is empty", name);
	if (f == MANIFEST_ROOTFS)
		return rootfs_check(fd, t->files[f].size, ret_error);
	return 0;
}

static int
txn_manifest(const struct store_txn *st, enum manifest_source_type type, const char *source,
    const char *cmdline, struct manifest **ret)
{
	struct manifest *m = manifest_new();

	if (m == NULL)
		return -ENOMEM;
	m->created = (int64_t)time(NULL);
	m->source_type = type;
	m->kind = st->kind;
	memcpy(m->files, txn(st)->files, sizeof(m->files));
	if ((m->name = strdup(st->name)) == NULL || store_strdup_or_null(source, &m->source) < 0 ||
	    store_strdup_or_null(cmdline, &m->cmdline) < 0 ||
	    store_strdup_or_null(st->origin, &m->origin) < 0) {
		manifest_free(m);
		return -ENOMEM;
	}
	m->origin_boot = st->origin != NULL && st->origin_boot;
	*ret = m;
	return 0;
}

/* Write manifest.json into the temp dir and sync it and the dir. */
static int
txn_write_manifest(struct txn *t, const struct manifest *m, char **ret_error)
{
	_cleanup_free_ char *text = NULL;
	int r;

	if ((r = manifest_format(m, &text)) < 0)
		return r;
	if ((r = fs_atomic_write_at(t->dir_fd, "manifest.json", text, strlen(text))) < 0)
		return error_set(
		    ret_error, r, "Cannot write %s/manifest.json: %s", t->tmp_path, strerror(-r));
	return 0;
}

/* Rename the temp dir to images/<name>, swapping with an existing one if forced. */
static int
txn_publish(struct store_txn *st, bool force, char **ret_error)
{
	const struct txn *t = txn(st);
	const char *name = st->name;
	int fd = store_local(st->store)->images_fd, r;

	r = fs_rename_noreplace(fd, t->tmp_name, name);
	if (r == -EEXIST && force) {
		if (renameat2(fd, t->tmp_name, fd, name, RENAME_EXCHANGE) == 0)
			r = 0;
		else if (errno == ENOENT) /* removed meanwhile */
			r = fs_rename_noreplace(fd, t->tmp_name, name);
		else
			r = -errno;
		if (r == 0 && fsync(fd) == 0) {
			/* The temp name now holds the old image; store_open() also cleans it. */
			if ((r = fs_rm_rf_at(fd, t->tmp_name)) < 0)
				log_warn("IMAGE=%s",
				    "Cannot delete the replaced image \"%s\": %s, ignoring", name,
				    strerror(-r));
			r = 0;
		}
	}
	if (r == -EEXIST)
		return error_set(ret_error, r, "Image \"%s\" exists", name);
	if (r < 0)
		return error_set(
		    ret_error, r, "Cannot move image \"%s\" into place: %s", name, strerror(-r));
	if (fsync(fd) < 0)
		log_warn(NULL, "Cannot sync \"%s\": %m, ignoring", st->store->images_dir);
	return 0;
}

int
store_local_txn_commit(struct store_txn *st, enum manifest_source_type type, const char *source,
    const char *cmdline, bool force, struct manifest **ret, char **ret_error)
{
	struct manifest *m = NULL;
	int r;

	for (size_t f = manifest_kind_first(st->kind); f < manifest_kind_end(st->kind); f++)
		if ((r = txn_finish_file(txn(st), (enum manifest_file)f, ret_error)) < 0)
			return r;
	if ((r = txn_manifest(st, type, source, cmdline, &m)) < 0)
		return r;
	if ((r = txn_write_manifest(txn(st), m, ret_error)) < 0 ||
	    (r = txn_publish(st, force, ret_error)) < 0) {
		manifest_free(m);
		return r;
	}
	if (ret != NULL)
		*ret = m;
	else
		manifest_free(m);
	return 0;
}
