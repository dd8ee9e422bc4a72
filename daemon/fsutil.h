/*
 * File helpers: access below a root directory, for the files TFTP and HTTP
 * serve, and the atomic writes, reads and removals of the store.
 */
#ifndef NETBOOTD_FSUTIL_H
#define NETBOOTD_FSUTIL_H

#include <dirent.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Open the regular file 'path' (relative, '/'-separated) read-only beneath
 * directory 'root'.  openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) makes
 * the kernel refuse "..", absolute paths and symlinks that lead out of the
 * root.  Returns an fd (O_CLOEXEC) and the file's size in *ret_size, or:
 *   -ENOENT  no such file
 *   -EACCES  the path leaves the root, or is not readable
 *   -EISDIR  not a regular file
 */
int fs_open_beneath(const char *root, const char *path, off_t *ret_size);
/* The same beneath the open directory 'dirfd' (kept open by the caller). */
int fs_open_beneath_at(int dirfd, const char *path, off_t *ret_size);

/*
 * For an fd opened O_NONBLOCK (so that opening a FIFO cannot block): check it
 * is a regular file and return its size in *ret_size.  The flag stays: on a
 * regular file it changes nothing.  0, -EISDIR (not a regular file) or -errno.
 */
int fs_regular_file(int fd, off_t *ret_size);

/*
 * An anonymous file (memfd, sealed against writes) holding 'data', for
 * content generated per request that TFTP and HTTP serve like any file:
 * an fd (O_CLOEXEC) or -errno.
 */
int fs_memfd(const char *name, const void *data, size_t len);
/* Six random letters and digits and a NUL, for temporary names. */
void fs_random_suffix(char buf[7]);

/*
 * Replace dirfd/name atomically with 'data': written to
 * ".tmp-<name>.XXXXXX", fsync'ed, renamed into place, then the directory
 * fsync'ed.  0 or -errno (the temporary file removed).
 */
int fs_atomic_write_at(int dirfd, const char *name, const void *data, size_t len);
/*
 * The first half of it: 'data' written to dirfd/.tmp-<name>.XXXXXX and
 * fsync'ed, its name in ret_tmp, for the caller to rename into place (or
 * remove) later.  0 or -errno (nothing left behind).
 */
int fs_stage_write_at(
    int dirfd, const char *name, const void *data, size_t len, char ret_tmp[NAME_MAX + 1]);

/*
 * Read the regular file dirfd/name of at most 'max' bytes, NUL-terminated:
 * a malloc'd buffer and its length.  -EISDIR not a regular file, -EFBIG
 * larger than 'max', or -errno.
 */
int fs_read_file_at(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len);

/* A stream over directory dirfd, on a new fd (dirfd stays the caller's); -errno. */
int fs_opendir(int dirfd, DIR **ret);

/* Remove dirfd/name and, if it is a directory, everything below it (16 levels). */
int fs_rm_rf_at(int dirfd, const char *name);

/* Create directory dirfd/name (mode 0755) if missing and open it: an fd or -errno. */
int fs_open_subdir(int dirfd, const char *name);

/*
 * Rename dirfd/from to dirfd/to unless 'to' exists (-EEXIST): renameat2()
 * RENAME_NOREPLACE, falling back to a check and renameat() where the
 * filesystem lacks the flag.
 */
int fs_rename_noreplace(int dirfd, const char *from, const char *to);

/*
 * Remove every ".tmp-*" entry of directory dirfd ('path' names it in the
 * log), logging each one; failures are logged and ignored.
 */
void fs_clean_leftovers(int dirfd, const char *path);

#endif
