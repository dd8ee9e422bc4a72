/*
 * add-image from a directory, on a worker thread: the source files are
 * opened with the requesting user's identity, copied into a store
 * transaction (store_txn_populate_dir) and committed (store_txn_commit).
 * Progress and the result come back to the loop thread through a pipe.
 *
 * Reading as the user: the worker thread switches ITS OWN filesystem
 * credentials (setfsuid, setfsgid and the raw setgroups system call, which
 * on Linux are per thread; glibc's setgroups() would change every thread) to
 * the peer's uid, gid and groups, opens the directory and the three files,
 * and switches back.  The kernel then checks every permission bit, ACL and
 * search permission along the path exactly as for the user.  The store
 * copies those very open files: it is given a private staging directory
 * (<state_dir>/.tmp-import-*, root only) of symlinks to /proc/self/fd/N, so
 * swapping a file for a symlink after the check gains nothing.
 */
#ifndef NETBOOTD_IMPORT_H
#define NETBOOTD_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "manifest.h"
#include "server.h"

#define IMPORT_PROGRESS_INTERVAL_MS 100 /* progress reports at most 10 per second */

struct import;

struct import_params {
	const char *name;    /* image name */
	const char *src_dir; /* absolute path (the ISO file for MANIFEST_SOURCE_ISO) */
	const char *cmdline; /* NULL: none */
	bool force;          /* replace an existing image */
	uid_t uid;           /* whose permissions the source is read with */
	gid_t gid;
	const gid_t *groups;
	size_t n_groups;
	/* MANIFEST_SOURCE_DIR (0: a directory) or MANIFEST_SOURCE_ISO */
	enum manifest_source_type type;
};

/* Loop thread: 'file' "kernel"... copied 'done' of 'total' bytes. */
typedef void (*import_progress_fn)(const char *file, uint64_t done, uint64_t total, void *userdata);
/*
 * Loop thread, once: r = 0 and the manifest (borrowed), or r < 0 and a
 * message.  Error codes: those of the store, plus -EACCES (the user may not
 * read the source) and -ECANCELED.
 */
typedef void (*import_done_fn)(int r, const struct manifest *m, const char *error, void *userdata);

/*
 * Start an import.  -EBUSY when one for that name is running (store), other
 * -errno on failure.  The import frees itself after calling done.
 */
int import_start(struct server *srv, const struct import_params *p, import_progress_fn progress,
    import_done_fn done, void *userdata, struct import **ret);
/* Cancel: the callbacks are never called again; the transaction is aborted. */
void import_cancel(struct import *imp);
/* At shutdown: cancel every import and wait for the workers. */
void import_shutdown(void);

#endif
