/*
 * The squashfs 4.0 super block (the first 96 bytes of the file system,
 * little-endian), parsed and checked before a root file system is accepted:
 * a file that only starts with "hsqs" is not enough, since the kernel (and
 * anyone serving the file) trusts the sizes and offsets it declares.
 *
 * squashfs_super_parse() reads the fields; squashfs_super_check() checks
 * them against each other and against the size of the file that holds them:
 * version 4.0, a known compressor, a block size that is a power of two from
 * 4 KiB to 1 MiB matching block_log, 96 <= bytes_used <= the file size, every
 * table inside [96, bytes_used) and in mksquashfs's order, a root inode
 * inside the inode table, 1 <= inode count <= bytes_used, at least one ID.
 * Pure: no I/O.
 */
#ifndef NETBOOTD_SQUASHFS_SUPER_H
#define NETBOOTD_SQUASHFS_SUPER_H

#include <stddef.h>
#include <stdint.h>

#define SQUASHFS_SUPER_SIZE   96
#define SQUASHFS_SUPER_MAGIC  0x73717368u /* "hsqs" */
#define SQUASHFS_BLOCK_MIN    4096u
#define SQUASHFS_BLOCK_MAX    (1024u * 1024)
#define SQUASHFS_NO_TABLE     UINT64_MAX
#define SQUASHFS_METADATA_MAX 8192u

struct squashfs_super {
	uint32_t magic;
	uint32_t inode_count;
	uint32_t mtime;
	uint32_t block_size;
	uint32_t fragment_count;
	uint16_t compression;
	uint16_t block_log;
	uint16_t flags;
	uint16_t id_count;
	uint16_t version_major;
	uint16_t version_minor;
	uint64_t root_inode;
	uint64_t bytes_used;
	uint64_t id_table;
	uint64_t xattr_table;
	uint64_t inode_table;
	uint64_t dir_table;
	uint64_t fragment_table;
	uint64_t export_table;
};

/* The fields of the super block in p[0..n); -ENOBUFS when n < 96. */
int squashfs_super_parse(const uint8_t *p, size_t n, struct squashfs_super *ret);

/*
 * 0, or -EBADMSG with a static reason ("the block size ... ") in *ret_why
 * (may be NULL).  file_size: the bytes of the file holding the super block.
 */
int squashfs_super_check(const struct squashfs_super *s, uint64_t file_size, const char **ret_why);

#endif
