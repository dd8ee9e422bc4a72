/*
 * A squashfs 4.0 super block that passes squashfs_super_check() for a file
 * of 'size' bytes (>= 99): gzip, 128 KiB blocks, one inode, one ID, the
 * tables right after it.  The same as tests/lib/check.sh's
 * fake_squashfs_super: a stand-in rootfs for the store's tests.
 */
#ifndef NETBOOTD_TEST_FAKE_SQUASHFS_H
#define NETBOOTD_TEST_FAKE_SQUASHFS_H

#include <stdint.h>
#include <string.h>

#define FAKE_SQUASHFS_SUPER 96

static inline void
fake_squashfs_put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void
fake_squashfs_super(uint8_t *buf, uint64_t size)
{
	memset(buf, 0, FAKE_SQUASHFS_SUPER);
	fake_squashfs_put(buf + 0, 0x73717368, 4); /* "hsqs" */
	fake_squashfs_put(buf + 4, 1, 4);          /* inodes */
	fake_squashfs_put(buf + 12, 131072, 4);    /* block size */
	fake_squashfs_put(buf + 20, 1, 2);         /* gzip */
	fake_squashfs_put(buf + 22, 17, 2);        /* block_log */
	fake_squashfs_put(buf + 26, 1, 2);         /* ids */
	fake_squashfs_put(buf + 28, 4, 2);         /* version 4.0 */
	fake_squashfs_put(buf + 40, size, 8);      /* bytes_used */
	fake_squashfs_put(buf + 48, 98, 8);        /* id table */
	fake_squashfs_put(buf + 56, UINT64_MAX, 8);
	fake_squashfs_put(buf + 64, 96, 8); /* inode table */
	fake_squashfs_put(buf + 72, 97, 8); /* directory table */
	fake_squashfs_put(buf + 80, UINT64_MAX, 8);
	fake_squashfs_put(buf + 88, UINT64_MAX, 8);
}

/* The super block then 'tail' into buf (FAKE_SQUASHFS_SUPER + strlen(tail) bytes). */
static inline size_t
fake_squashfs(const char *tail, uint8_t *buf)
{
	size_t n = strlen(tail);

	fake_squashfs_super(buf, FAKE_SQUASHFS_SUPER + n);
	memcpy(buf + FAKE_SQUASHFS_SUPER, tail, n);
	return FAKE_SQUASHFS_SUPER + n;
}

#endif
