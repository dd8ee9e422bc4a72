/*
 * One job on a worker thread that reports to the event loop through a pipe:
 * its progress while it runs, then its result, once.  What add-image
 * (import.c) and the replication of images (replicate.c) share.
 *
 * Progress reaches the loop at most every WORKER_PROGRESS_INTERVAL_MS, but a
 * file that finished (done == total) is always reported, up to
 * WORKER_MAX_COMPLETED of them between two looks of the loop, each once and
 * before the partial progress that followed it.
 */
#ifndef NETBOOTD_WORKER_H
#define NETBOOTD_WORKER_H

#include <stdint.h>

#include <event2/event.h>

#include "manifest.h"

#define WORKER_PROGRESS_INTERVAL_MS 100 /* progress reports at most 10 per second */
#define WORKER_MAX_COMPLETED        8

struct worker;

/*
 * Worker thread: the job.  0 and a manifest in *ret (may be left NULL), or
 * -errno and a malloc'd message in *ret_error (may be left NULL).
 */
typedef int (*worker_run_fn)(
    struct worker *w, void *userdata, struct manifest **ret, char **ret_error);
/* Loop thread: in 'phase' ("copy", "fetch", ...), 'file' has 'done' of 'total' bytes. */
typedef void (*worker_progress_fn)(
    const char *phase, const char *file, uint64_t done, uint64_t total, void *userdata);
/*
 * Loop thread, once, after the last progress report: the job returned r,
 * the manifest and the message (both may be NULL; borrowed, valid until
 * worker_free()).  It may call worker_free() on this worker.
 */
typedef void (*worker_finished_fn)(
    int r, const struct manifest *m, const char *error, void *userdata);

/* Start 'run' on a new thread, its reports on 'base'.  -errno (nothing left running). */
int worker_start(struct event_base *base, worker_run_fn run, worker_progress_fn progress,
    worker_finished_fn finished, void *userdata, struct worker **ret);
/* Worker thread: record progress for the loop (see above). */
void worker_report(
    struct worker *w, const char *phase, const char *file, uint64_t done, uint64_t total);
/*
 * Loop thread: wait for the thread to end and free everything.  No callback
 * runs afterwards.  Stopping the job early is the job's business (a flag it
 * checks).  Accepts NULL.
 */
void worker_free(struct worker *w);

#endif
