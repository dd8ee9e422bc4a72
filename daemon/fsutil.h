/*
 * File access below a root directory, for the files TFTP and HTTP serve.
 */
#ifndef NETBOOTD_FSUTIL_H
#define NETBOOTD_FSUTIL_H

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

/*
 * For an fd opened O_NONBLOCK (so that opening a FIFO cannot block): check it
 * is a regular file, make it blocking (regular files never block long) and
 * return its size in *ret_size.  0, -EISDIR (not a regular file) or -errno.
 */
int fs_regular_file(int fd, off_t *ret_size);

#endif
