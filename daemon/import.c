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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "error.h"
#include "iso-extract.h"
#include "log.h"
#include "oci-pull.h"
#include "store.h"
#include "util.h"

#define IMPORT_MAX_COMPLETED 8

struct import {
	struct import *prev, *next; /* srv->imports: loop thread only */
	struct server *srv;
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
	char *ref, *platform, *kernel,
	    *initrd; /* MANIFEST_SOURCE_OCI, and the registry settings: */
	char *auth_file, *compression;
	char **insecure;
	bool force;
	uid_t uid;                 /* for messages */
	int fds[MANIFEST_N_FILES]; /* the client's open files (owned); an ISO uses fds[0] */
	size_t n_fds;

	/* between worker and loop, under lock */
	pthread_mutex_t lock;
	char phase[16], file[32];
	uint64_t done_bytes, total;
	bool fresh; /* progress not yet reported */
	struct {    /* files finished since the loop last looked: each is reported */
		char phase[16], file[32];
		uint64_t total;
	} completed[IMPORT_MAX_COMPLETED];
	size_t n_completed;
	bool finished; /* worker is done: result below */
	int result;
	struct manifest *manifest;
	char *error;
	int64_t last_ms; /* worker only: last progress notification */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
import_notify(struct import *imp)
{
	char b = 1;

	(void)!write(imp->pipe[1], &b, 1); /* a full pipe is as good as a byte */
}

/* ---- worker: progress ---- */

/* Worker thread: record progress for the loop, at most ~10 reports a second. */
static void
import_report(
    struct import *imp, const char *phase, const char *file, uint64_t done, uint64_t total)
{
	int64_t now = now_ms();

	pthread_mutex_lock(&imp->lock);
	if (done == total && imp->n_completed < IMPORT_MAX_COMPLETED) {
		size_t i = imp->n_completed++;

		snprintf(imp->completed[i].phase, sizeof(imp->completed[i].phase), "%s", phase);
		snprintf(imp->completed[i].file, sizeof(imp->completed[i].file), "%s", file);
		imp->completed[i].total = total;
		if (strcmp(imp->file, file) == 0 && strcmp(imp->phase, phase) == 0)
			imp->fresh = false; /* its partial progress is stale now */
	} else {
		snprintf(imp->phase, sizeof(imp->phase), "%s", phase);
		snprintf(imp->file, sizeof(imp->file), "%s", file);
		imp->done_bytes = done, imp->total = total, imp->fresh = true;
	}
	pthread_mutex_unlock(&imp->lock);
	if (now - imp->last_ms >= IMPORT_PROGRESS_INTERVAL_MS || done == total) {
		imp->last_ms = now;
		import_notify(imp);
	}
}

static void
on_copy_progress(const char *file, uint64_t done, uint64_t total, void *userdata)
{
	import_report(userdata, "copy", file, done, total);
}

/* The pull ("pull" per blob, then "squashfs": "scan", "write"). */
static void
on_pull_progress(const char *phase, const char *file, uint64_t done, uint64_t total, void *userdata)
{
	import_report(userdata, phase, file, done, total);
}

/* ---- worker: the client's files ---- */

/*
 * The client opened the files with its own permissions and passed the
 * descriptors (lib/control-proto.h, control_source_fds()): the daemon never
 * opens a client's paths, so it needs no privilege to act as the client and
 * sees files the sandbox (ProtectHome=, PrivateTmp=) hides from it.
 */
static int
source_check(struct import *imp, size_t want, char **ret_error)
{
	static const char *const what[] = {"kernel", "initrd", "rootfs.squashfs"};

	if (imp->n_fds != want) {
		return error_set(ret_error, -EINVAL,
		    "expected %zu open files with the request, got %zu", want, imp->n_fds);
	}
	for (size_t f = 0; f < want; f++) {
		struct stat st;

		if (fstat(imp->fds[f], &st) < 0 || !S_ISREG(st.st_mode)) {
			return error_set(ret_error, -EINVAL, "%s%s%s is not a regular file",
			    imp->src_dir, want > 1 ? "/" : "", want > 1 ? what[f] : "");
		}
		fcntl(imp->fds[f], F_SETFL, fcntl(imp->fds[f], F_GETFL) & ~O_NONBLOCK);
	}
	return 0;
}

/* Extract the ISO's files into the txn (lib/iso-extract.h), then commit. */
static int
import_run_iso(struct import *imp, struct manifest **ret, char **ret_error)
{
	struct iso_extract_params p = {
	    .progress = on_copy_progress, .userdata = imp, .cancel = &imp->cancel, .force = true};
	int r = source_check(imp, 1, ret_error);

	if (r < 0)
		return r;
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		p.dest[f] = store_txn_path(imp->txn, f);
	r = iso_extract_fd(imp->fds[0], imp->src_dir, &p, NULL, ret_error);
	if (r == 0)
		r = store_txn_commit(imp->txn, MANIFEST_SOURCE_ISO, imp->src_dir, imp->cmdline,
		    imp->force, ret, ret_error);
	return r;
}

static int
import_run(struct import *imp, struct manifest **ret, char **ret_error)
{
	int r = source_check(imp, MANIFEST_N_FILES, ret_error);

	if (r == 0)
		r = store_txn_populate_fds(imp->txn, imp->fds, imp->src_dir, on_copy_progress, imp,
		    &imp->cancel, ret_error);
	if (r == 0 && atomic_load(&imp->cancel))
		r = -ECANCELED;
	if (r == 0)
		r = store_txn_commit(imp->txn, MANIFEST_SOURCE_DIR, imp->src_dir, imp->cmdline,
		    imp->force, ret, ret_error);
	return r;
}

/*
 * Pull the image into <state_dir>/cache (blobs are verified and kept for the
 * next import), flatten its layers into the txn's squashfs, take the kernel
 * and initrd from its /boot, and commit with the reference pinned to the
 * manifest digest.
 */
static int
import_run_oci(struct import *imp, struct manifest **ret, char **ret_error)
{
	struct registry_opts ro = {
	    .auth_file = imp->auth_file, .insecure = (const char *const *)imp->insecure};
	struct oci_build_opts bo = {
	    .compressor = imp->compression, .kernel = imp->kernel, .initrd = imp->initrd};
	struct oci_pull_params pp = {.registry = &ro,
	    .ref = imp->ref,
	    .platform = imp->platform,
	    .build = &bo,
	    .out_kernel = store_txn_path(imp->txn, MANIFEST_KERNEL),
	    .out_initrd = store_txn_path(imp->txn, MANIFEST_INITRD),
	    .out_squashfs = store_txn_path(imp->txn, MANIFEST_ROOTFS),
	    .progress = on_pull_progress,
	    .userdata = imp,
	    .cancel = &imp->cancel};
	_cleanup_free_ char *cache = NULL, *source = NULL;
	struct oci_image *img = NULL;
	int r;

	if (asprintf(&cache, "%s/cache", store_state_dir(imp->store)) < 0) {
		cache = NULL;
		return -ENOMEM;
	}
	pp.cache_dir = cache;
	if ((r = oci_pull_build(&pp, &img, ret_error)) < 0)
		return r;
	if (strchr(imp->ref, '@') == NULL &&
	    asprintf(&source, "%s@%s", imp->ref, img->manifest_digest) < 0) {
		source = NULL;
		r = -ENOMEM;
	}
	if (r == 0)
		r = store_txn_commit(imp->txn, MANIFEST_SOURCE_OCI,
		    source != NULL ? source : imp->ref, imp->cmdline, imp->force, ret, ret_error);
	oci_image_free(img);
	return r;
}

static void *
import_thread(void *arg)
{
	struct import *imp = arg;
	struct manifest *m = NULL;
	char *error = NULL;
	int r = imp->type == MANIFEST_SOURCE_OCI   ? import_run_oci(imp, &m, &error)
	        : imp->type == MANIFEST_SOURCE_ISO ? import_run_iso(imp, &m, &error)
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
	if (imp->started) {
		pthread_join(imp->thread, NULL);
		imp->srv->stats.imports.running--;
	}
	if (imp->prev != NULL)
		imp->prev->next = imp->next;
	else if (imp->srv->imports == imp)
		imp->srv->imports = imp->next;
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
	for (size_t f = 0; f < imp->n_fds; f++)
		close(imp->fds[f]);
	free(imp->name);
	free(imp->src_dir);
	free(imp->cmdline);
	free(imp->ref);
	free(imp->platform);
	free(imp->kernel);
	free(imp->initrd);
	free(imp->auth_file);
	free(imp->compression);
	for (size_t i = 0; imp->insecure != NULL && imp->insecure[i] != NULL; i++)
		free(imp->insecure[i]);
	free(imp->insecure);
	free(imp);
}

static void
on_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct import *imp = arg;
	char buf[64], phase[16], file[32];
	uint64_t done, total;
	bool fresh, finished;
	__typeof__(imp->completed) completed;
	size_t n_completed;

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&imp->lock);
	fresh = imp->fresh, finished = imp->finished;
	memcpy(phase, imp->phase, sizeof(phase));
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
		imp->progress(completed[i].phase, completed[i].file, completed[i].total,
		    completed[i].total, imp->userdata);
	if (fresh)
		imp->progress(phase, file, done, total, imp->userdata);
out:
	if (!finished)
		return;
	if (imp->result == 0)
		imp->srv->stats.imports.completed++;
	else if (imp->result == -ECANCELED || imp->done == NULL)
		imp->srv->stats.imports.cancelled++;
	else
		imp->srv->stats.imports.failed++;
	if (imp->done != NULL)
		imp->done(imp->result, imp->manifest, imp->error, imp->userdata);
	import_free(imp);
}

/* Loop thread: the registry settings, copied (srv->cfg is replaced on SIGHUP). */
static int
import_oci_setup(struct import *imp, const struct config *cfg)
{
	const char *platform = cfg->registry.platform, *compression = cfg->registry.compression;
	size_t n = cfg->registry.n_insecure;

	if (imp->platform == NULL && platform != NULL && (imp->platform = strdup(platform)) == NULL)
		return -ENOMEM;
	if (compression != NULL && (imp->compression = strdup(compression)) == NULL)
		return -ENOMEM;
	if (cfg->registry.auth_file != NULL &&
	    (imp->auth_file = strdup(cfg->registry.auth_file)) == NULL)
		return -ENOMEM;
	imp->insecure = calloc(n + 1, sizeof(char *));
	if (imp->insecure == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if ((imp->insecure[i] = strdup(cfg->registry.insecure[i])) == NULL)
			return -ENOMEM;
	return 0;
}

static int
import_setup(struct server *srv, struct import *imp, const struct import_params *p)
{
	imp->name = strdup(p->name);
	imp->src_dir = strdup(p->type == MANIFEST_SOURCE_OCI ? p->ref : p->src_dir);
	imp->cmdline = p->cmdline != NULL ? strdup(p->cmdline) : NULL;
	imp->ref = p->ref != NULL ? strdup(p->ref) : NULL;
	imp->platform = p->platform != NULL ? strdup(p->platform) : NULL;
	imp->kernel = p->kernel != NULL ? strdup(p->kernel) : NULL;
	imp->initrd = p->initrd != NULL ? strdup(p->initrd) : NULL;
	if (p->type == MANIFEST_SOURCE_OCI && import_oci_setup(imp, srv->cfg) < 0)
		return -ENOMEM;
	if (imp->name == NULL || imp->src_dir == NULL ||
	    (p->cmdline != NULL && imp->cmdline == NULL) || (p->ref != NULL && imp->ref == NULL) ||
	    (p->platform != NULL && imp->platform == NULL) ||
	    (p->kernel != NULL && imp->kernel == NULL) ||
	    (p->initrd != NULL && imp->initrd == NULL))
		return -ENOMEM;
	imp->force = p->force, imp->uid = p->uid, imp->type = p->type;
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

	if (imp == NULL) {
		for (size_t f = 0; f < p->n_fds; f++)
			close(p->fds[f]);
		return -ENOMEM;
	}
	*imp = (struct import){.srv = srv,
	    .store = srv->store,
	    .pipe = {-1, -1},
	    .progress = progress,
	    .done = done,
	    .userdata = userdata,
	    .n_fds = p->n_fds < MANIFEST_N_FILES ? p->n_fds : MANIFEST_N_FILES};
	memcpy(imp->fds, p->fds, imp->n_fds * sizeof(int)); /* ours from here on */
	pthread_mutex_init(&imp->lock, NULL);
	if ((r = import_setup(srv, imp, p)) < 0 ||
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
	imp->next = srv->imports;
	if (srv->imports != NULL)
		srv->imports->prev = imp;
	srv->imports = imp;
	srv->stats.imports.running++;
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
import_shutdown(struct server *srv)
{
	while (srv->imports != NULL) {
		import_cancel(srv->imports);
		import_free(srv->imports); /* joins the worker */
	}
}
