/*
 * add-image from a directory or an ISO, on a worker thread: the files are
 * copied (or extracted, lib/iso-extract.h) into a store transaction and
 * committed (store_txn_commit).  Progress and the result come back to the
 * loop thread through a pipe.
 *
 * The client's files arrive as open descriptors (SCM_RIGHTS, see
 * control_source_fds() in lib/control-proto.h): netbootctl opened them with
 * the user's own permissions, so the kernel has already checked every
 * permission bit, ACL and search permission along the path for that user,
 * and the daemon needs neither privilege to act as the user nor a view of
 * the user's paths (ProtectHome=, PrivateTmp=).  The store copies those very
 * files through a private staging directory (<state_dir>/.tmp-import-*) of
 * symlinks to /proc/self/fd/N.
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
	const char *src_dir; /* absolute path (the ISO file for MANIFEST_SOURCE_ISO), as named */
	const char *cmdline; /* NULL: none */
	const char *origin;  /* the manifest's origin URL template (manifest.h); NULL: none */
	bool origin_boot;    /* boot scripts point at the origin */
	bool force;          /* replace an existing image */
	uid_t uid;           /* the requesting user, for messages */
	/* The client's open files: kernel, initrd, rootfs.squashfs, or the ISO.
	 * import_start() takes them over, also when it fails. */
	const int *fds;
	size_t n_fds;
	/* MANIFEST_SOURCE_DIR (0: a directory), MANIFEST_SOURCE_ISO, MANIFEST_SOURCE_OCI, or
	 * MANIFEST_SOURCE_FILE: an EFI application or an ISO (src_dir: the file), kept whole */
	enum manifest_source_type type;
	/* MANIFEST_SOURCE_FILE: MANIFEST_KIND_EFI (boot.efi) or MANIFEST_KIND_ISO (boot.iso) */
	enum manifest_kind kind;
	const char *ref; /* MANIFEST_SOURCE_OCI: the image reference */
	const char
	    *platform; /* MANIFEST_SOURCE_OCI: "os/arch[/variant]"; NULL: registry.platform */
	/* MANIFEST_SOURCE_OCI: kernel and initrd paths inside the image; NULL: from /boot */
	const char *kernel, *initrd;
};

/*
 * Loop thread: in 'phase' ("copy", or for OCI "pull" and "squashfs"), 'file'
 * ("kernel"..., a layer's short digest) has 'done' of 'total' bytes.
 */
typedef void (*import_progress_fn)(
    const char *phase, const char *file, uint64_t done, uint64_t total, void *userdata);
/*
 * Loop thread, once: r = 0 and the manifest (borrowed), or r < 0 and a
 * message.  Error codes: those of the store and lib/iso-extract.h, plus
 * -EINVAL (the files passed are not regular files) and -ECANCELED.
 */
typedef void (*import_done_fn)(int r, const struct manifest *m, const char *error, void *userdata);

/*
 * Start an import, one of srv->imports (counted in srv->stats.imports).
 * -EBUSY when one for that name is running (store), other
 * -errno on failure.  The import frees itself after calling done.
 */
int import_start(struct server *srv, const struct import_params *p, import_progress_fn progress,
    import_done_fn done, void *userdata, struct import **ret);
/* Cancel: the callbacks are never called again; the transaction is aborted. */
void import_cancel(struct import *imp);
/* At shutdown: cancel every import of the server and wait for the workers. */
void import_shutdown(struct server *srv);

#endif
