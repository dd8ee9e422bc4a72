/*
 * The squashfs super block (see squashfs-super.h).  Layout from the Linux
 * kernel's fs/squashfs/squashfs_fs.h, struct squashfs_super_block.
 */
#include "squashfs-super.h"

#include <errno.h>
#include <stdbool.h>

#include "buf.h"

/* Little-endian fields (buf.h's readers are big-endian, network order). */
static int
read_le16(struct reader *r, uint16_t *ret)
{
	if (r->left < 2)
		return -ENOBUFS;
	*ret = (uint16_t)(r->p[0] | (r->p[1] << 8));
	return read_skip(r, 2);
}

static int
read_le32(struct reader *r, uint32_t *ret)
{
	if (r->left < 4)
		return -ENOBUFS;
	*ret = r->p[0] | ((uint32_t)r->p[1] << 8) | ((uint32_t)r->p[2] << 16) |
	       ((uint32_t)r->p[3] << 24);
	return read_skip(r, 4);
}

static int
read_le64(struct reader *r, uint64_t *ret)
{
	uint32_t lo, hi;
	int k = read_le32(r, &lo);

	if (k == 0)
		k = read_le32(r, &hi);
	if (k == 0)
		*ret = ((uint64_t)hi << 32) | lo;
	return k;
}

int
squashfs_super_parse(const uint8_t *p, size_t n, struct squashfs_super *ret)
{
	struct reader r = reader_init(p, n);
	struct squashfs_super s;

	if (n < SQUASHFS_SUPER_SIZE)
		return -ENOBUFS;
	(void)(read_le32(&r, &s.magic) || read_le32(&r, &s.inode_count) ||
	       read_le32(&r, &s.mtime) || read_le32(&r, &s.block_size) ||
	       read_le32(&r, &s.fragment_count) || read_le16(&r, &s.compression) ||
	       read_le16(&r, &s.block_log) || read_le16(&r, &s.flags) ||
	       read_le16(&r, &s.id_count) || read_le16(&r, &s.version_major) ||
	       read_le16(&r, &s.version_minor) || read_le64(&r, &s.root_inode) ||
	       read_le64(&r, &s.bytes_used) || read_le64(&r, &s.id_table) ||
	       read_le64(&r, &s.xattr_table) || read_le64(&r, &s.inode_table) ||
	       read_le64(&r, &s.dir_table) || read_le64(&r, &s.fragment_table) ||
	       read_le64(&r, &s.export_table));
	*ret = s;
	return 0;
}

static int
why(const char **ret_why, const char *reason)
{
	if (ret_why != NULL)
		*ret_why = reason;
	return -EBADMSG;
}

/* A table start inside the file system, after the super block. */
static bool
table_ok(uint64_t start, uint64_t bytes_used, bool optional)
{
	if (optional && start == SQUASHFS_NO_TABLE)
		return true;
	return start >= SQUASHFS_SUPER_SIZE && start < bytes_used;
}

static int
check_geometry(const struct squashfs_super *s, uint64_t file_size, const char **ret_why)
{
	if (s->magic != SQUASHFS_SUPER_MAGIC)
		return why(ret_why, "no squashfs magic (\"hsqs\")");
	if (s->version_major != 4 || s->version_minor != 0)
		return why(ret_why, "not squashfs version 4.0");
	if (s->compression < 1 || s->compression > 6)
		return why(ret_why, "an unknown compressor");
	if (s->block_size < SQUASHFS_BLOCK_MIN || s->block_size > SQUASHFS_BLOCK_MAX ||
	    (s->block_size & (s->block_size - 1)) != 0)
		return why(ret_why, "the block size is not a power of two from 4 KiB to 1 MiB");
	if (s->block_log >= 32 || (1u << s->block_log) != s->block_size)
		return why(ret_why, "the block size and block_log disagree");
	if (s->bytes_used < SQUASHFS_SUPER_SIZE)
		return why(ret_why, "bytes_used is smaller than the super block");
	if (s->bytes_used > file_size)
		return why(ret_why, "bytes_used is larger than the file");
	return 0;
}

int
squashfs_super_check(const struct squashfs_super *s, uint64_t file_size, const char **ret_why)
{
	uint64_t used = s->bytes_used;
	int r = check_geometry(s, file_size, ret_why);

	if (r < 0)
		return r;
	if (!table_ok(s->inode_table, used, false) || !table_ok(s->dir_table, used, false) ||
	    !table_ok(s->id_table, used, false) || !table_ok(s->xattr_table, used, true) ||
	    !table_ok(s->fragment_table, used, true) || !table_ok(s->export_table, used, true))
		return why(ret_why, "a table lies outside the file system");
	if (s->inode_table >= s->dir_table || s->dir_table >= s->id_table)
		return why(ret_why, "the inode, directory and ID tables are out of order");
	if ((s->root_inode >> 16) >= s->dir_table - s->inode_table ||
	    (s->root_inode & 0xffff) >= SQUASHFS_METADATA_MAX)
		return why(ret_why, "the root inode lies outside the inode table");
	if (s->inode_count == 0 || s->inode_count > used)
		return why(ret_why, "the inode count is not possible for its size");
	if (s->id_count == 0)
		return why(ret_why, "the ID table is empty");
	return 0;
}
