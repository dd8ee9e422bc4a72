/*
 * Small I/O helpers shared by lib/, daemon/ and ctl/: pure, no logging.
 */
#ifndef NETBOOTD_IO_H
#define NETBOOTD_IO_H

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

#endif
