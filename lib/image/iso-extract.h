/*
 * Netboot files out of an ISO 9660 image (Rock Ridge / Joliet), with
 * libarchive: the kernel, the initrd and the squashfs root filesystem.
 * Shared by "netbootctl extract iso" and the daemon's "add-image --iso".
 *
 * Two passes over the ISO: the first reads the headers only (names, types,
 * sizes; data skipped with lseek) and picks a file for each role from an
 * ordered candidate list (iso_candidates, or an override path); the second
 * streams the chosen files' data to disk in 1 MiB chunks.  Memory stays
 * small whatever the size of the ISO.
 *
 * Outputs are written as ".<name>.XXXXXXXX" in the destination's directory
 * (opened once; the files are written through their descriptors only, see
 * io_tmpfile_open()) and renamed into place only when all three are complete
 * and checked (non-empty kernel and initrd, a rootfs whose squashfs super
 * block passes squashfs_super_check()).  Before any byte is written, the
 * chosen files' declared sizes are checked against max_size (-EFBIG) and the
 * free space of the destination's file system (-ENOSPC).  On any failure
 * every temporary file is removed and no destination is touched.
 * An existing destination is refused (-EEXIST) unless 'force'.
 *
 * Or, for a role whose dest is NULL, straight into out_fd[f]: an empty file
 * open for writing that stays the caller's (no temporary file, no rename;
 * the caller removes it on failure).  The checks are the same.  This is how
 * the daemon's import child writes into a store transaction it cannot name.
 *
 * Symlinks (Rock Ridge) and hard links among the candidates are followed
 * inside the ISO (at most ISO_MAX_LINK_HOPS hops, never outside it).
 *
 * Caps: ISO_MAX_ENTRIES entries and ISO_MAX_NAME bytes per name; more is
 * -E2BIG / -ENAMETOOLONG.  No logging, no globals: errors are -errno plus a
 * malloc'd sentence in *ret_error.  -EBADMSG: not an ISO or a malformed one;
 * -ENOBUFS: truncated; -ENOENT: no candidate (or override) found; -EINVAL:
 * a chosen file fails a check; -EEXIST; -ECANCELED; filesystem errors as is.
 */
#ifndef NETBOOTD_ISO_EXTRACT_H
#define NETBOOTD_ISO_EXTRACT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manifest.h"

#define ISO_MAX_ENTRIES   (256 * 1024)
#define ISO_MAX_NAME      1024
#define ISO_MAX_LINK_HOPS 8
#define ISO_CHUNK         (1024 * 1024)

/* One file of the ISO as listed by the first pass. */
struct iso_entry {
	char *name;      /* "boot/kernel": no leading "/" or "./" */
	char *link;      /* symlink target as stored, hard link target name, or NULL */
	bool is_symlink; /* link is a symlink target (else a hard link target) */
	uint64_t size;
};

/*
 * Ordered fnmatch(3) patterns per role (case-insensitive, "*" does not cross
 * "/"), NULL-terminated.  The first pattern that matches a regular file (or a
 * link to one) wins; several matches of one pattern: the highest by
 * strverscmp(3) (the newest kernel version).
 */
extern const char *const *const iso_candidates[MANIFEST_N_FILES];

/*
 * Choose the entry for role f among entries[0..n): 'override' (a path in
 * the ISO, leading "/" allowed; exact match first, then case-insensitive)
 * or the candidate list.  Links are resolved: *ret_taken is the path
 * matched, *ret_data the regular file holding the data.  -ENOENT: none;
 * -ELOOP: a link loops or leaves the ISO.
 */
int iso_pick(const struct iso_entry *entries, size_t n, enum manifest_file f, const char *override,
    const struct iso_entry **ret_taken, const struct iso_entry **ret_data);

/* Progress: 'done' of 'total' bytes of 'file' ("kernel", "initrd", "rootfs.squashfs"). */
typedef void (*iso_progress_fn)(const char *file, uint64_t done, uint64_t total, void *userdata);

struct iso_extract_params {
	const char *dest[MANIFEST_N_FILES];     /* output paths; NULL: out_fd */
	int out_fd[MANIFEST_N_FILES];           /* where dest is NULL: the descriptor to write */
	const char *override[MANIFEST_N_FILES]; /* paths in the ISO; NULL: candidates */
	bool force;                             /* replace existing outputs */
	bool sync;                              /* fsync the files before renaming */
	uint64_t max_size;        /* cap on the chosen files' total size (-EFBIG); 0: none */
	iso_progress_fn progress; /* may be NULL */
	void *userdata;
	const atomic_bool *cancel; /* may be NULL; checked between chunks */
};

struct iso_extract_result {
	char taken[MANIFEST_N_FILES][ISO_MAX_NAME + 2]; /* "/boot/kernel": the path chosen */
	char data[MANIFEST_N_FILES][ISO_MAX_NAME + 2];  /* the file read (differs for links) */
	uint64_t size[MANIFEST_N_FILES];
};

/*
 * Extract from the ISO open at fd (a regular file, read from offset 0;
 * read twice).  'label' names the ISO in messages.
 */
int iso_extract_fd(int fd, const char *label, const struct iso_extract_params *p,
    struct iso_extract_result *ret, char **ret_error);
/* The same with a path. */
int iso_extract(const char *path, const struct iso_extract_params *p,
    struct iso_extract_result *ret, char **ret_error);

#endif
