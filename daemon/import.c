/*
 * The add-image worker thread (see import.h).
 */
#include "import.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "iso-extract.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define IMPORT_MAX_GROUPS    256
#define IMPORT_MAX_COMPLETED 8

struct import {
	struct import *prev, *next; /* every live import: loop thread only */
	struct store *store;
	struct store_txn *txn;
	pthread_t thread;
	bool started;
	int pipe[2];
	struct event *ev;
	import_progress_fn progress;
	import_done_fn done;
	void *userdata;
	atomic_bool cancel;

	/* parameters: read by the worker */
	char *name, *src_dir, *cmdline;
	enum manifest_source_type type;
	bool force;
	uid_t uid;
	gid_t gid;
	size_t n_groups;
	gid_t groups[IMPORT_MAX_GROUPS];

	/* between worker and loop, under lock */
	pthread_mutex_t lock;
	char file[32];
	uint64_t done_bytes, total;
	bool fresh; /* progress not yet reported */
	struct {    /* files finished since the loop last looked: each is reported */
		char file[32];
		uint64_t total;
	} completed[IMPORT_MAX_COMPLETED];
	size_t n_completed;
	bool finished; /* worker is done: result below */
	int result;
	struct manifest *manifest;
	char *error;
	int64_t last_ms; /* worker only: last progress notification */
};

static struct import *imports;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A malloc'd message in *ret_error, or NULL when even that fails. */
static void __attribute__((format(printf, 2, 3))) set_error(char **ret_error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(ret_error, fmt, ap) < 0)
		*ret_error = NULL;
	va_end(ap);
}

static void
import_notify(struct import *imp)
{
	char b = 1;

	(void)!write(imp->pipe[1], &b, 1); /* a full pipe is as good as a byte */
}

/* ---- worker: acting as the peer ---- */

/* Switch this thread's filesystem identity (not the process's: raw syscalls). */
static int
identity_set(uid_t uid, gid_t gid, size_t n, const gid_t *groups)
{
	if (syscall(SYS_setgroups, n, groups) < 0)
		return -errno;
	setfsgid(gid);
	setfsuid(uid);
	if ((uid_t)setfsuid((uid_t)-1) != uid || (gid_t)setfsgid((gid_t)-1) != gid)
		return -EPERM;
	return 0;
}

struct source {
	int dir;
	int fds[MANIFEST_N_FILES];
};

static int
source_open_files(struct import *imp, struct source *src)
{
	src->dir = open(imp->src_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (src->dir < 0)
		return -errno;
	for (size_t f = 0; f < MANIFEST_N_FILES; f++) {
		src->fds[f] = openat(
		    src->dir, manifest_file_names[f], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (src->fds[f] < 0)
			return -errno;
	}
	return 0;
}

static void
source_close(struct source *src)
{
	if (src->dir >= 0)
		close(src->dir);
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		if (src->fds[f] >= 0)
			close(src->fds[f]);
}

/* Open the source directory and its three files with the peer's identity. */
static int
source_open(struct import *imp, struct source *src, char **ret_error)
{
	gid_t saved[IMPORT_MAX_GROUPS];
	int n = getgroups(IMPORT_MAX_GROUPS, saved), r;

	*src = (struct source){.dir = -1, .fds = {-1, -1, -1}};
	if (n < 0)
		return -errno;
	if (imp->uid != 0 && (r = identity_set(imp->uid, imp->gid, imp->n_groups, imp->groups)) < 0)
		goto restore;
	r = source_open_files(imp, src);
restore:
	if (imp->uid != 0 && identity_set(0, 0, (size_t)n, saved) < 0)
		abort(); /* a root thread that cannot become root again: never go on */
	if (r < 0) {
		set_error(ret_error,
		    "uid %u cannot read \"%s\" (kernel, initrd, rootfs.squashfs): %s",
		    (unsigned)imp->uid, imp->src_dir, strerror(-r));
		return r;
	}
	for (size_t f = 0; f < MANIFEST_N_FILES; f++) {
		struct stat st;

		if (fstat(src->fds[f], &st) < 0 || !S_ISREG(st.st_mode)) {
			set_error(ret_error, "%s/%s is not a regular file", imp->src_dir,
			    manifest_file_names[f]);
			return -EINVAL;
		}
		fcntl(src->fds[f], F_SETFL, 0); /* blocking reads again */
	}
	return 0;
}

/* ---- worker: staging directory of /proc/self/fd links ---- */

static void
staging_remove(const char *dir)
{
	char p[PATH_MAX + 32];

	for (size_t f = 0; f < MANIFEST_N_FILES; f++) {
		snprintf(p, sizeof(p), "%s/%s", dir, manifest_file_names[f]);
		unlink(p);
	}
	rmdir(dir);
}

static int
staging_make(struct import *imp, const struct source *src, char *dir, size_t size)
{
	char p[PATH_MAX + 32], target[64];

	snprintf(dir, size, "%s/.tmp-import-XXXXXX", store_state_dir(imp->store));
	if (mkdtemp(dir) == NULL)
		return -errno;
	for (size_t f = 0; f < MANIFEST_N_FILES; f++) {
		snprintf(p, sizeof(p), "%s/%s", dir, manifest_file_names[f]);
		snprintf(target, sizeof(target), "/proc/self/fd/%d", src->fds[f]);
		if (symlink(target, p) < 0) {
			int r = -errno;

			staging_remove(dir);
			return r;
		}
	}
	return 0;
}

/* ---- worker ---- */

static void
on_copy_progress(const char *file, uint64_t done, uint64_t total, void *userdata)
{
	struct import *imp = userdata;
	int64_t now = now_ms();

	pthread_mutex_lock(&imp->lock);
	if (done == total && imp->n_completed < IMPORT_MAX_COMPLETED) {
		size_t i = imp->n_completed++;

		snprintf(imp->completed[i].file, sizeof(imp->completed[i].file), "%s", file);
		imp->completed[i].total = total;
		if (strcmp(imp->file, file) == 0)
			imp->fresh = false; /* its partial progress is stale now */
	} else {
		snprintf(imp->file, sizeof(imp->file), "%s", file);
		imp->done_bytes = done, imp->total = total, imp->fresh = true;
	}
	pthread_mutex_unlock(&imp->lock);
	if (now - imp->last_ms >= IMPORT_PROGRESS_INTERVAL_MS || done == total) {
		imp->last_ms = now;
		import_notify(imp);
	}
}

/* The ISO, opened with the peer's identity. */
static int
iso_open(struct import *imp, int *ret_fd, char **ret_error)
{
	gid_t saved[IMPORT_MAX_GROUPS];
	int n = getgroups(IMPORT_MAX_GROUPS, saved), r = 0, fd = -1;

	if (n < 0)
		return -errno;
	if (imp->uid != 0 && (r = identity_set(imp->uid, imp->gid, imp->n_groups, imp->groups)) < 0)
		goto restore;
	fd = open(imp->src_dir, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	r = fd < 0 ? -errno : 0;
restore:
	if (imp->uid != 0 && identity_set(0, 0, (size_t)n, saved) < 0)
		abort(); /* as in source_open() */
	if (r < 0) {
		set_error(ret_error, "uid %u cannot read \"%s\": %s", (unsigned)imp->uid,
		    imp->src_dir, strerror(-r));
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* Extract the ISO's files into the txn (lib/iso-extract.h), then commit. */
static int
import_run_iso(struct import *imp, struct manifest **ret, char **ret_error)
{
	struct iso_extract_params p = {
	    .progress = on_copy_progress, .userdata = imp, .cancel = &imp->cancel, .force = true};
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r = iso_open(imp, &fd, ret_error);

	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		set_error(ret_error, "\"%s\" is not a regular file", imp->src_dir);
		return -EINVAL;
	}
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		p.dest[f] = store_txn_path(imp->txn, f);
	r = iso_extract_fd(fd, imp->src_dir, &p, NULL, ret_error);
	if (r == 0)
		r = store_txn_commit(imp->txn, MANIFEST_SOURCE_ISO, imp->src_dir, imp->cmdline,
		    imp->force, ret, ret_error);
	return r;
}

static int
import_run(struct import *imp, struct manifest **ret, char **ret_error)
{
	struct source src;
	char staging[PATH_MAX];
	int r;

	r = source_open(imp, &src, ret_error);
	if (r == 0 && (r = staging_make(imp, &src, staging, sizeof(staging))) < 0)
		set_error(ret_error, "Cannot create a staging directory: %s", strerror(-r));
	if (r == 0) {
		r = store_txn_populate_dir(
		    imp->txn, staging, on_copy_progress, imp, &imp->cancel, ret_error);
		staging_remove(staging);
	}
	source_close(&src);
	if (r == 0 && atomic_load(&imp->cancel))
		r = -ECANCELED;
	if (r == 0)
		r = store_txn_commit(imp->txn, MANIFEST_SOURCE_DIR, imp->src_dir, imp->cmdline,
		    imp->force, ret, ret_error);
	return r;
}

static void *
import_thread(void *arg)
{
	struct import *imp = arg;
	struct manifest *m = NULL;
	char *error = NULL;
	int r = imp->type == MANIFEST_SOURCE_ISO ? import_run_iso(imp, &m, &error)
	                                         : import_run(imp, &m, &error);

	store_txn_free(imp->txn); /* aborts an uncommitted one: removes its files */
	imp->txn = NULL;
	pthread_mutex_lock(&imp->lock);
	imp->finished = true, imp->result = r, imp->manifest = m, imp->error = error;
	pthread_mutex_unlock(&imp->lock);
	import_notify(imp);
	return NULL;
}

/* ---- loop side ---- */

static void
import_free(struct import *imp)
{
	if (imp->started)
		pthread_join(imp->thread, NULL);
	if (imp->prev != NULL)
		imp->prev->next = imp->next;
	else if (imports == imp)
		imports = imp->next;
	if (imp->next != NULL)
		imp->next->prev = imp->prev;
	store_txn_free(imp->txn);
	if (imp->ev != NULL)
		event_free(imp->ev);
	for (size_t i = 0; i < 2; i++)
		if (imp->pipe[i] >= 0)
			close(imp->pipe[i]);
	pthread_mutex_destroy(&imp->lock);
	manifest_free(imp->manifest);
	free(imp->error);
	free(imp->name);
	free(imp->src_dir);
	free(imp->cmdline);
	free(imp);
}

static void
on_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct import *imp = arg;
	char buf[64], file[32];
	uint64_t done, total;
	bool fresh, finished;
	__typeof__(imp->completed) completed;
	size_t n_completed;

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&imp->lock);
	fresh = imp->fresh, finished = imp->finished;
	memcpy(file, imp->file, sizeof(file));
	done = imp->done_bytes, total = imp->total;
	imp->fresh = false;
	memcpy(completed, imp->completed, sizeof(completed));
	n_completed = imp->n_completed;
	imp->n_completed = 0;
	pthread_mutex_unlock(&imp->lock);
	if (imp->progress == NULL)
		goto out;
	/* A file that finished before the loop looked is reported, not skipped. */
	for (size_t i = 0; i < n_completed; i++)
		imp->progress(
		    completed[i].file, completed[i].total, completed[i].total, imp->userdata);
	if (fresh)
		imp->progress(file, done, total, imp->userdata);
out:
	if (!finished)
		return;
	if (imp->done != NULL)
		imp->done(imp->result, imp->manifest, imp->error, imp->userdata);
	import_free(imp);
}

static int
import_setup(struct import *imp, const struct import_params *p)
{
	imp->name = strdup(p->name);
	imp->src_dir = strdup(p->src_dir);
	imp->cmdline = p->cmdline != NULL ? strdup(p->cmdline) : NULL;
	if (imp->name == NULL || imp->src_dir == NULL ||
	    (p->cmdline != NULL && imp->cmdline == NULL))
		return -ENOMEM;
	imp->force = p->force, imp->uid = p->uid, imp->gid = p->gid, imp->type = p->type;
	imp->n_groups = p->n_groups < IMPORT_MAX_GROUPS ? p->n_groups : IMPORT_MAX_GROUPS;
	memcpy(imp->groups, p->groups, imp->n_groups * sizeof(gid_t));
	if (pipe2(imp->pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
	return 0;
}

int
import_start(struct server *srv, const struct import_params *p, import_progress_fn progress,
    import_done_fn done, void *userdata, struct import **ret)
{
	struct import *imp = calloc(1, sizeof(*imp));
	int r;

	if (imp == NULL)
		return -ENOMEM;
	*imp = (struct import){.store = srv->store,
	    .pipe = {-1, -1},
	    .progress = progress,
	    .done = done,
	    .userdata = userdata};
	pthread_mutex_init(&imp->lock, NULL);
	if ((r = import_setup(imp, p)) < 0 ||
	    (r = store_txn_begin(srv->store, p->name, &imp->txn)) < 0)
		goto fail;
	imp->ev = event_new(srv->base, imp->pipe[0], EV_READ | EV_PERSIST, on_pipe, imp);
	if (imp->ev == NULL || event_add(imp->ev, NULL) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	if ((r = -pthread_create(&imp->thread, NULL, import_thread, imp)) < 0)
		goto fail;
	imp->started = true;
	imp->next = imports;
	if (imports != NULL)
		imports->prev = imp;
	imports = imp;
	*ret = imp;
	return 0;
fail:
	import_free(imp);
	return r;
}

void
import_cancel(struct import *imp)
{
	if (imp == NULL)
		return;
	imp->progress = NULL;
	imp->done = NULL;
	atomic_store(&imp->cancel, true);
}

void
import_shutdown(void)
{
	while (imports != NULL) {
		import_cancel(imports);
		import_free(imports); /* joins the worker */
	}
}
