/*
 * Replication of an image by digest (docs/cluster.md, "Artifacts"): an
 * instance that has an image's record (its manifest: name, the files' sizes
 * and SHA-256 digests, source, command line) but not its bytes fetches the
 * files from other instances or an origin into a store transaction on a
 * worker thread (worker.h, libcurl easy), and commits it only when every
 * file is complete and verified.  Never a half image: on any failure or a
 * cancel the transaction is aborted and nothing is published.
 *
 * Each file, in turn:
 *   - when a committed image of the store already holds a file with that
 *     digest (store_blob_open(), looked up when replicate_start() runs), it
 *     is copied locally (and its digest checked while copying);
 *   - otherwise from the sources, in the given order.  A source is either a
 *     peer instance's base URL "http://host:port" (the file is GET
 *     <base>/blobs/sha256:<hex>, see netbootd(8)) or an origin URL template
 *     holding "{sha256}" (the 64 hex digits) and/or "{file}" ("kernel",
 *     "initrd", "rootfs.squashfs").  http and https only; redirects are
 *     followed (at most 5, http and https only).
 *   - The body is written into the transaction's file and hashed as it
 *     arrives, never beyond the record's size (a source that sends more is
 *     a bad source).  An interrupted transfer (the connection cut, a
 *     stall of REPLICATE_STALL_TIMEOUT seconds, a short body) resumes from
 *     the same source with "Range: bytes=N-", REPLICATE_ATTEMPTS transfers
 *     at most; a source that answers a Range with 200 (ignoring it) is read
 *     from the start again.  A digest mismatch, an HTTP error, a refused
 *     connection or attempts used up move to the next source, and the file
 *     starts again from 0 there.  No source left: the replication fails
 *     with -EIO and a message saying what each source did.
 *
 * Then store_txn_commit() with the record's source type, source and
 * command line, replacing an image of that name (force): the store digests
 * the files again as it commits, and the committed manifest's sizes and
 * digests must equal the record's; if they do not (the disk changed the
 * bytes under us) the image just published is removed again and the
 * replication fails with -EBADMSG.
 *
 * The outcome is logged (info on success, warning on failure, with
 * IMAGE=); the caller need not log it again.
 *
 * Threading: replicate_start(), replicate_cancel() and the callbacks are
 * loop-thread only.
 */
#ifndef NETBOOTD_REPLICATE_H
#define NETBOOTD_REPLICATE_H

#include <stddef.h>
#include <stdint.h>

#include "manifest.h"
#include "server.h"

#define REPLICATE_MAX_SOURCES     16
#define REPLICATE_MAX_URL         4096 /* bytes of a source, and of a URL made from it */
#define REPLICATE_ATTEMPTS        4    /* transfers of one file from one source */
#define REPLICATE_CONNECT_TIMEOUT 10   /* seconds */
#define REPLICATE_STALL_TIMEOUT   30   /* seconds without a byte: the transfer is interrupted */

struct replicate;

struct replicate_params {
	/* The record: name, files' sizes and sha256 (all three required), source
	 * type (not legacy) and source, cmdline.  Copied. */
	const struct manifest *m;
	/* Tried in order (see above), 1 to REPLICATE_MAX_SOURCES.  Copied. */
	const char *const *sources;
	size_t n_sources;
};

/*
 * Loop thread: 'file' ("kernel", ...) has 'done' of 'total' bytes (at most
 * about 10 reports a second; done == total once the file is verified).
 * 'done' may go down: a file that starts again from another source.
 */
typedef void (*replicate_progress_fn)(
    const char *file, uint64_t done, uint64_t total, void *userdata);
/*
 * Loop thread, once: r = 0 and the committed manifest (borrowed, valid
 * during the call), or r < 0 and a message (may be NULL).  Codes: -EIO no
 * source delivered a file (the message says why, per source), -EBADMSG the
 * committed image differed from the record, -ECANCELED, and the store's
 * (-ENOSPC, ...).
 */
typedef void (*replicate_done_fn)(
    int r, const char *error, const struct manifest *committed, void *userdata);

/*
 * Start replicating p->m into srv->store; one of srv->replicates.  The
 * replicate frees itself after done() returns.  -EINVAL a bad record (no
 * digests, a bad name, a legacy source) or bad sources, -EBUSY an add-image
 * or replication of that name is running (the store's txn), -EOPNOTSUPP
 * libcurl cannot be loaded (curl-dl.h; logged with the reason), -ENOMEM,
 * other -errno; on failure no callback runs.
 */
int replicate_start(struct server *srv, const struct replicate_params *p,
    replicate_progress_fn progress, replicate_done_fn done, void *userdata, struct replicate **ret);
/*
 * Stop it.  done() still runs, once, later (never inside this call), with
 * -ECANCELED; or with 0 and the image if the worker had already committed
 * it when it saw the cancel.  Called from inside done() it does nothing
 * (after done() returned, the pointer is gone).  No progress is reported
 * after the cancel.
 */
void replicate_cancel(struct replicate *r);
/* At shutdown: cancel every replication of the server, wait for the workers; no callbacks. */
void replicate_shutdown(struct server *srv);

#endif
