/*
 * Small I/O helpers shared by lib/, daemon/ and ctl/: pure, no logging.
 */
#ifndef NETBOOTD_IO_H
#define NETBOOTD_IO_H

#include <stddef.h>

/* Write all 'len' bytes, retrying short writes and EINTR.  0 or -errno. */
int io_write_all(int fd, const void *buf, size_t len);

/*
 * The 'len' bytes at 'p' as 2 * len lowercase hex digits and a NUL in
 * 'ret' (which holds 2 * len + 1 bytes): a SHA-256 digest, a MAC address.
 */
void io_hex_encode(const void *p, size_t len, char *ret);

/* The value of hex digit 'c' (either case), or -1. */
int io_hex_value(char c);

#endif
