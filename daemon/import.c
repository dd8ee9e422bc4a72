/*
 * The add-image worker thread (see import.h), through worker.h.
 */
#include "import.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "import-proc.h"
#include "iso-boot.h"
#include "log.h"
#include "pe-sign.h"
#include "store.h"
#include "util.h"
#include "worker.h"

struct import {
	struct import *prev, *next; /* srv->imports: loop thread only */
	struct server *srv;
	struct store *store;
	struct store_txn *txn;
	struct worker *worker; /* loop thread */
	struct worker *self;   /* the same, for the worker thread (set by it) */
	import_progress_fn progress;
	import_done_fn done;
	void *userdata;
	atomic_bool cancel;

	/* parameters: read by the worker */
	char *name, *src_dir, *cmdline;
	enum manifest_source_type type;
	enum manifest_kind kind; /* MANIFEST_SOURCE_FILE: efi or iso */
	char *ref, *platform, *kernel,
	    *initrd; /* MANIFEST_SOURCE_OCI, and the registry settings: */
	char *auth_file, *compression;
	char **insecure;
	bool force;
	uint64_t max_size;         /* images.max_size */
	uint64_t import_memory;    /* images.import_memory */
	unsigned import_cpu;       /* images.import_cpu */
	uid_t uid;                 /* for messages */
	int fds[MANIFEST_N_FILES]; /* the client's open files (owned); an ISO uses fds[0] */
	size_t n_fds;
};

/* ---- worker: progress ---- */

static void
on_copy_progress(const char *file, uint64_t done, uint64_t total, void *userdata)
{
	struct import *imp = userdata;

	worker_report(imp->self, "copy", file, done, total);
}

/* The pull ("pull" per blob, then "squashfs": "scan", "write"). */
static void
on_pull_progress(const char *phase, const char *file, uint64_t done, uint64_t total, void *userdata)
{
	struct import *imp = userdata;

	worker_report(imp->self, phase, file, done, total);
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

/* The txn's three files, created for the child to write through (never by name). */
static int
outputs_open(struct import *imp, int out[MANIFEST_N_FILES], char **ret_error)
{
	for (size_t f = 0; f < MANIFEST_N_FILES; f++) {
		if ((out[f] = store_txn_create(imp->txn, f)) >= 0)
			continue;
		for (size_t g = 0; g < f; g++)
			close(out[g]);
		return error_set(ret_error, out[f], "Cannot create %s: %s",
		    store_txn_path(imp->txn, f), strerror(-out[f]));
	}
	return 0;
}

/* Every registry.insecure host fits the child's command line. */
_Static_assert(
    CONFIG_MAX_INSECURE <= IMPORT_MAX_INSECURE, "registry.insecure: the import child's cap");

/* The child's arguments: the limits, then those of its mode. */
struct child_args {
	const char *v[IMPORT_MAX_ARGS + 1];
	size_t n;
	char max_size[24], memory[24], cpu[16];
};

static void
args_add(struct child_args *a, const char *opt, const char *value)
{
	if (value == NULL || a->n + 3 > sizeof(a->v) / sizeof(a->v[0]))
		return;
	a->v[a->n++] = opt;
	a->v[a->n++] = value;
	a->v[a->n] = NULL;
}

static void
args_limits(struct import *imp, struct child_args *a)
{
	snprintf(a->max_size, sizeof(a->max_size), "%llu", (unsigned long long)imp->max_size);
	snprintf(a->memory, sizeof(a->memory), "%llu", (unsigned long long)imp->import_memory);
	snprintf(a->cpu, sizeof(a->cpu), "%u", imp->import_cpu);
	args_add(a, "--max-size", a->max_size);
	args_add(a, "--memory", a->memory);
	args_add(a, "--cpu", a->cpu);
}

/*
 * Run the import child (import-proc.h) on the txn's three files; in_fd its
 * input (-1: none).  Its digest report in ret_digest.
 */
static int
child_run(struct import *imp, struct child_args *a, int in_fd,
    char ret_digest[IMPORT_REPORT_DIGEST], char **ret_error)
{
	struct import_proc_params pp = {.args = a->v,
	    .label = imp->src_dir,
	    .in_fd = in_fd,
	    .cpu_seconds = imp->import_cpu,
	    .memory = imp->import_memory,
	    .cancel = &imp->cancel,
	    .progress = on_pull_progress,
	    .userdata = imp};
	int r;

	if ((r = outputs_open(imp, pp.out_fd, ret_error)) < 0)
		return r;
	r = import_proc_run(&pp, ret_digest, ret_error);
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		close(pp.out_fd[f]);
	return r;
}

/* The ISO's files, extracted by the import child into the txn, then committed. */
static int
import_run_iso(struct import *imp, struct manifest **ret, char **ret_error)
{
	struct child_args a = {0};
	char digest[IMPORT_REPORT_DIGEST];
	int r = source_check(imp, 1, ret_error);

	if (r < 0)
		return r;
	args_limits(imp, &a);
	a.v[a.n++] = "--", a.v[a.n++] = "iso", a.v[a.n++] = imp->src_dir, a.v[a.n] = NULL;
	if ((r = child_run(imp, &a, imp->fds[0], digest, ret_error)) < 0)
		return r;
	return store_txn_commit(
	    imp->txn, MANIFEST_SOURCE_ISO, imp->src_dir, imp->cmdline, imp->force, ret, ret_error);
}

/* The client's files against images.max_size, before any is copied. */
static int
size_check(struct import *imp, char **ret_error)
{
	uint64_t total = 0;

	for (size_t f = 0; f < imp->n_fds; f++) {
		struct stat st;

		if (fstat(imp->fds[f], &st) == 0)
			total += (uint64_t)st.st_size;
	}
	if (imp->max_size > 0 && total > imp->max_size)
		return error_set(ret_error, -EFBIG,
		    "%s holds %llu bytes, more than the image size cap of %llu bytes "
		    "(images: max_size)",
		    imp->src_dir, (unsigned long long)total, (unsigned long long)imp->max_size);
	return 0;
}

static int
import_run(struct import *imp, struct manifest **ret, char **ret_error)
{
	int r = source_check(imp, MANIFEST_N_FILES, ret_error);

	if (r == 0)
		r = size_check(imp, ret_error);
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

/* An EFI application: a PE/COFF image for a machine UEFI knows (pe-sign.h reads its headers). */
static int
efi_check(struct import *imp, char **ret_error)
{
	_cleanup_free_ char *why = NULL;
	struct pe_signature pe;
	int r;

	if ((r = pe_signature_read_fd(imp->fds[0], &pe, &why)) < 0 && r != -EBADMSG)
		return error_set(ret_error, r, "Cannot read %s: %s", imp->src_dir, strerror(-r));
	if (r < 0 || !pe.is_pe)
		return error_set(ret_error, -EINVAL, "%s is not an EFI application (PE/COFF)%s%s",
		    imp->src_dir, why != NULL ? ": " : "", why != NULL ? why : "");
	if (strcmp(pe_machine_name(pe.machine), "unknown") == 0)
		return error_set(ret_error, -EINVAL,
		    "%s is a PE image for machine 0x%04x, which UEFI does not run", imp->src_dir,
		    pe.machine);
	return 0;
}

/* An ISO kept whole: its El Torito catalog must have an EFI entry (iso-boot.h). */
static int
iso_check(struct import *imp, char **ret_error)
{
	_cleanup_free_ char *why = NULL;
	struct iso_boot b;
	int r;

	if ((r = iso_boot_read_fd(imp->fds[0], &b, &why)) < 0)
		return error_set(ret_error,
		    r == -EBADMSG || r == -ENOBUFS || r == -ENOENT || r == -E2BIG ? -EINVAL : r,
		    "%s cannot boot whole: %s", imp->src_dir, why != NULL ? why : strerror(-r));
	if (!b.efi)
		return error_set(ret_error, -EINVAL,
		    "%s has no bootable El Torito EFI entry: UEFI cannot boot it whole%s",
		    imp->src_dir, b.bios ? " (it boots BIOS only)" : "");
	return 0;
}

/*
 * An EFI application or an ISO kept whole: checked, then copied into the
 * txn as boot.efi or boot.iso.
 */
static int
import_run_whole(struct import *imp, struct manifest **ret, char **ret_error)
{
	int r = source_check(imp, 1, ret_error);

	if (r < 0 || (r = imp->kind == MANIFEST_KIND_ISO ? iso_check(imp, ret_error)
	                                                 : efi_check(imp, ret_error)) < 0)
		return r;
	store_txn_set_kind(imp->txn, imp->kind);
	if ((r = size_check(imp, ret_error)) < 0)
		return r;
	r = store_txn_populate_fds(
	    imp->txn, imp->fds, imp->src_dir, on_copy_progress, imp, &imp->cancel, ret_error);
	if (r == 0 && atomic_load(&imp->cancel))
		r = -ECANCELED;
	if (r == 0)
		r = store_txn_commit(
		    imp->txn, MANIFEST_SOURCE_FILE, imp->src_dir, NULL, imp->force, ret, ret_error);
	return r;
}

/*
 * The import child pulls the image into <state_dir>/cache (blobs are
 * verified and kept for the next import), flattens its layers into the
 * txn's squashfs and takes the kernel and initrd from its /boot; the daemon
 * commits with the reference pinned to the manifest digest.
 */
static int
import_run_oci(struct import *imp, struct manifest **ret, char **ret_error)
{
	_cleanup_free_ char *cache = NULL, *source = NULL;
	struct child_args a = {0};
	char digest[IMPORT_REPORT_DIGEST];
	int r;

	if (asprintf(&cache, "%s/cache", store_state_dir(imp->store)) < 0) {
		cache = NULL;
		return -ENOMEM;
	}
	args_limits(imp, &a);
	args_add(&a, "--cache", cache);
	args_add(&a, "--platform", imp->platform);
	args_add(&a, "--auth-file", imp->auth_file);
	args_add(&a, "--compression", imp->compression);
	args_add(&a, "--kernel", imp->kernel);
	args_add(&a, "--initrd", imp->initrd);
	for (size_t i = 0; imp->insecure != NULL && imp->insecure[i] != NULL; i++)
		args_add(&a, "--insecure", imp->insecure[i]);
	a.v[a.n++] = "--", a.v[a.n++] = "oci", a.v[a.n++] = imp->ref, a.v[a.n] = NULL;
	if ((r = child_run(imp, &a, -1, digest, ret_error)) < 0)
		return r;
	if (strchr(imp->ref, '@') == NULL && digest[0] != '\0' &&
	    asprintf(&source, "%s@%s", imp->ref, digest) < 0) {
		source = NULL;
		return -ENOMEM;
	}
	return store_txn_commit(imp->txn, MANIFEST_SOURCE_OCI, source != NULL ? source : imp->ref,
	    imp->cmdline, imp->force, ret, ret_error);
}

static int
import_thread(struct worker *w, void *userdata, struct manifest **ret, char **ret_error)
{
	struct import *imp = userdata;
	int r;

	imp->self = w;
	r = imp->type == MANIFEST_SOURCE_OCI    ? import_run_oci(imp, ret, ret_error)
	    : imp->type == MANIFEST_SOURCE_ISO  ? import_run_iso(imp, ret, ret_error)
	    : imp->type == MANIFEST_SOURCE_FILE ? import_run_whole(imp, ret, ret_error)
	                                        : import_run(imp, ret, ret_error);
	store_txn_free(imp->txn); /* aborts an uncommitted one: removes its files */
	imp->txn = NULL;
	return r;
}

/* ---- loop side ---- */

static void
import_free(struct import *imp)
{
	if (imp->worker != NULL) {
		worker_free(imp->worker); /* joins the thread */
		imp->srv->stats.imports.running--;
	}
	if (imp->prev != NULL)
		imp->prev->next = imp->next;
	else if (imp->srv->imports == imp)
		imp->srv->imports = imp->next;
	if (imp->next != NULL)
		imp->next->prev = imp->prev;
	store_txn_free(imp->txn);
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
on_worker_progress(
    const char *phase, const char *file, uint64_t done, uint64_t total, void *userdata)
{
	struct import *imp = userdata;

	if (imp->progress != NULL)
		imp->progress(phase, file, done, total, imp->userdata);
}

static void
on_worker_finished(int r, const struct manifest *m, const char *error, void *userdata)
{
	struct import *imp = userdata;

	if (r == 0)
		imp->srv->stats.imports.completed++;
	else if (r == -ECANCELED || imp->done == NULL)
		imp->srv->stats.imports.cancelled++;
	else
		imp->srv->stats.imports.failed++;
	if (imp->done != NULL)
		imp->done(r, m, error, imp->userdata);
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
	imp->force = p->force, imp->uid = p->uid, imp->type = p->type, imp->kind = p->kind;
	imp->max_size = srv->cfg->images.max_size;
	imp->import_memory = srv->cfg->images.import_memory;
	imp->import_cpu = srv->cfg->images.import_cpu;
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
	    .progress = progress,
	    .done = done,
	    .userdata = userdata,
	    .n_fds = p->n_fds < MANIFEST_N_FILES ? p->n_fds : MANIFEST_N_FILES};
	memcpy(imp->fds, p->fds, imp->n_fds * sizeof(int)); /* ours from here on */
	if ((r = import_setup(srv, imp, p)) < 0 ||
	    (r = store_txn_begin(srv->store, p->name, &imp->txn)) < 0 ||
	    (r = store_txn_set_origin(imp->txn, p->origin, p->origin_boot)) < 0 ||
	    (r = worker_start(srv->base, import_thread, on_worker_progress, on_worker_finished, imp,
	         &imp->worker)) < 0)
		goto fail;
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
