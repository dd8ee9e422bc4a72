/*
 * Small I/O helpers shared by lib/, daemon/ and ctl/: pure, no logging.
 */
#ifndef NETBOOTD_IO_H
#define NETBOOTD_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Write all 'len' bytes, retrying short writes and EINTR.  0 or -errno. */
int io_write_all(int fd, const void *buf, size_t len);

/*
 * The 'len' bytes at 'p' as 2 * len lowercase hex digits and a NUL in
 * 'ret' (which holds 2 * len + 1 bytes): a SHA-256 digest, a MAC address.
 */
void io_hex_encode(const void *p, size_t len, char *ret);

/*
 * Create the directory 'path' and its missing parents, as mkdir -p does, the
 * new ones with 'mode' (less the umask).  0 when it exists or was created;
 * -ENOTDIR when it or a parent is something else; -errno.
 */
int io_mkdir_parents(const char *path, mode_t mode);

/* The value of hex digit 'c' (either case), or -1. */
int io_hex_value(char c);

/*
 * A temporary file beside its destination, written through its descriptor
 * only: no name is ever opened twice, so swapping the name for a symlink or
 * another file (in a directory others can write) changes nothing outside it.
 * io_tmpfile_open() creates ".<prefix>.XXXXXX" in the directory dir_fd
 * (O_EXCL, O_NOFOLLOW, mode 0600); io_tmpfile_publish() syncs (flags
 * IO_PUBLISH_SYNC), sets 'mode' with fchmod, renames it to 'name' in the same
 * directory (IO_PUBLISH_NOREPLACE: -EEXIST rather than replace) and checks
 * that 'name' is then this file: -ESTALE (and 'name' removed) when the
 * temporary name was swapped meanwhile.  io_tmpfile_discard() removes the
 * temporary name if it is still this file, and closes; it accepts a
 * published or never-opened one (fd -1).  dir_fd stays the caller's.
 */
#define IO_TMPFILE_NAME_MAX  256
#define IO_PUBLISH_SYNC      1u
#define IO_PUBLISH_NOREPLACE 2u

struct io_tmpfile {
	int dir_fd;
	int fd; /* -1: none */
	char name[IO_TMPFILE_NAME_MAX];
};

int io_tmpfile_open(int dir_fd, const char *prefix, struct io_tmpfile *ret);
int io_tmpfile_publish(struct io_tmpfile *t, const char *name, mode_t mode, unsigned flags);
void io_tmpfile_discard(struct io_tmpfile *t);

/* 'fd' and the entry 'name' of dir_fd (not followed) are the same file. */
bool io_same_file_at(int fd, int dir_fd, const char *name);

#endif
