/*
 * Running the import child, netbootd-import (import-child.c), for one ISO
 * or OCI import, from an import worker thread (import.c): fork, clear the
 * ambient capabilities, put the descriptors in place (fd 3 the input, 4-6
 * the store transaction's outputs, 1 the report pipe), execute; then relay
 * its reports (lib/wire/import-report.h) as progress and wait for it.
 *
 * Whatever the child does, the daemon survives it: a crash, a seccomp kill
 * (SIGSYS), the CPU limit (SIGXCPU/SIGKILL), a malformed report (the
 * child is killed) or a cancellation (SIGTERM, then SIGKILL after
 * IMPORT_PROC_GRACE_MS) all end in -errno and a sentence,
 * and the caller's transaction is then aborted, so no partial image stays.
 */
#ifndef NETBOOTD_IMPORT_PROC_H
#define NETBOOTD_IMPORT_PROC_H

#include <stdatomic.h>
#include <stdint.h>

#include "import-report.h"
#include "manifest.h"

#define IMPORT_PROC_GRACE_MS 5000 /* after SIGTERM (a cancel), then SIGKILL */

/* The import child: next to the running netbootd (a build tree), else NETBOOTD_IMPORT_PATH. */
const char *import_proc_path(void);

typedef void (*import_proc_progress_fn)(
    const char *phase, const char *file, uint64_t done, uint64_t total, void *userdata);

struct import_proc_params {
	const char *const *args;      /* after the program name: "iso" LABEL ..., NULL-terminated */
	const char *label;            /* the ISO or the reference, in messages */
	int in_fd;                    /* the child's fd 3; -1: none */
	int out_fd[MANIFEST_N_FILES]; /* its fds 4, 5, 6 */
	unsigned cpu_seconds;         /* the child's limit, to name it in messages */
	uint64_t memory;              /* the same */
	const atomic_bool *cancel;    /* checked every 100 ms: the child is killed */
	import_proc_progress_fn progress;
	void *userdata;
};

/*
 * Worker thread: run the child to its end.  0 (and the OCI manifest digest
 * in ret_digest, "" for an ISO), or -errno and a message in *ret_error.
 */
int import_proc_run(
    const struct import_proc_params *p, char ret_digest[IMPORT_REPORT_DIGEST], char **ret_error);

#endif
