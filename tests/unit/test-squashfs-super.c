/*
 * squashfs_super_parse() / squashfs_super_check(): mksquashfs's super blocks
 * pass; each hostile field (the 2^63-byte, 1 GiB-block one of the
 * hostile-image campaign among them) is refused with its reason.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fake-squashfs.h"
#include "squashfs-super.h"
#include "test.h"

/* The super block of "mksquashfs d out.sqfs" (gzip, 128 KiB blocks, 4 inodes), 4096 bytes. */
static const uint8_t mksquashfs_gzip[SQUASHFS_SUPER_SIZE] = {0x68, 0x73, 0x71, 0x73, 0x04, 0x00,
    0x00, 0x00, 0xa4, 0x4f, 0x11, 0x6b, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x11, 0x00, 0xc0, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x59, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x0e, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x66, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xa7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xdb, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

static int
check_bytes(const uint8_t *p, size_t n, uint64_t file_size, const char **why)
{
	struct squashfs_super s;
	int r = squashfs_super_parse(p, n, &s);

	return r < 0 ? r : squashfs_super_check(&s, file_size, why);
}

static void
test_mksquashfs(void)
{
	struct squashfs_super s;
	const char *why = NULL;

	CHECK_EQ_INT(squashfs_super_parse(mksquashfs_gzip, sizeof(mksquashfs_gzip), &s), 0);
	CHECK(s.magic == SQUASHFS_SUPER_MAGIC && s.inode_count == 4 && s.block_size == 131072);
	CHECK(s.compression == 1 && s.block_log == 17 && s.id_count == 1);
	CHECK(s.bytes_used == 270 && s.inode_table == 102 && s.dir_table == 167);
	CHECK(s.xattr_table == SQUASHFS_NO_TABLE && s.id_table == 262);
	CHECK_EQ_INT(squashfs_super_check(&s, 4096, &why), 0);
	/* bytes_used is what counts: a file cut right after it still passes. */
	CHECK_EQ_INT(squashfs_super_check(&s, 270, &why), 0);
	CHECK_EQ_INT(squashfs_super_check(&s, 269, &why), -EBADMSG);
	CHECK_EQ_STR(why, "bytes_used is larger than the file");
}

static void
test_truncated(void)
{
	struct squashfs_super s;

	CHECK_EQ_INT(squashfs_super_parse(mksquashfs_gzip, 95, &s), -ENOBUFS);
	CHECK_EQ_INT(squashfs_super_parse(mksquashfs_gzip, 0, &s), -ENOBUFS);
}

static void
put(uint8_t *p, size_t off, uint64_t v, int n)
{
	fake_squashfs_put(p + off, v, n);
}

/* One field of the mksquashfs super block changed: refused with 'reason'. */
static void
refuse(size_t off, uint64_t v, int n, const char *reason)
{
	uint8_t b[SQUASHFS_SUPER_SIZE];
	const char *why = NULL;

	memcpy(b, mksquashfs_gzip, sizeof(b));
	put(b, off, v, n);
	CHECK_EQ_INT(check_bytes(b, sizeof(b), 4096, &why), -EBADMSG);
	CHECK_EQ_STR(why != NULL ? why : "", reason);
}

static void
test_refused(void)
{
	refuse(0, 0x71736873, 4, "no squashfs magic (\"hsqs\")"); /* big-endian "sqsh" */
	refuse(28, 3, 2, "not squashfs version 4.0");
	refuse(30, 1, 2, "not squashfs version 4.0");
	refuse(20, 0, 2, "an unknown compressor");
	refuse(20, 7, 2, "an unknown compressor");
	refuse(12, 1u << 30, 4, "the block size is not a power of two from 4 KiB to 1 MiB");
	refuse(12, 2048, 4, "the block size is not a power of two from 4 KiB to 1 MiB");
	refuse(12, 131073, 4, "the block size is not a power of two from 4 KiB to 1 MiB");
	refuse(22, 16, 2, "the block size and block_log disagree");
	refuse(22, 49, 2, "the block size and block_log disagree");
	refuse(40, 1ull << 63, 8, "bytes_used is larger than the file");
	refuse(40, 95, 8, "bytes_used is smaller than the super block");
	refuse(64, 4000, 8, "a table lies outside the file system");
	refuse(72, 50, 8, "a table lies outside the file system");
	refuse(48, SQUASHFS_NO_TABLE, 8, "a table lies outside the file system");
	refuse(80, 271, 8, "a table lies outside the file system");
	refuse(72, 101, 8, "the inode, directory and ID tables are out of order");
	refuse(48, 150, 8, "the inode, directory and ID tables are out of order");
	refuse(32, 65ull << 16, 8, "the root inode lies outside the inode table");
	refuse(32, 8192, 8, "the root inode lies outside the inode table");
	refuse(4, 0, 4, "the inode count is not possible for its size");
	refuse(4, 271, 4, "the inode count is not possible for its size");
	refuse(26, 0, 2, "the ID table is empty");
}

/* The campaign's super block: 2^63 bytes in 1 GiB blocks, in a small file. */
static void
test_campaign(void)
{
	uint8_t b[SQUASHFS_SUPER_SIZE];
	const char *why = NULL;

	memcpy(b, mksquashfs_gzip, sizeof(b));
	put(b, 12, 1u << 30, 4);
	put(b, 22, 30, 2);
	put(b, 40, 1ull << 63, 8);
	CHECK_EQ_INT(check_bytes(b, sizeof(b), 380 * 1024, &why), -EBADMSG);
	/* The fake super block of the tests' stand-in rootfs passes. */
	fake_squashfs_super(b, 4096);
	CHECK_EQ_INT(check_bytes(b, sizeof(b), 4096, &why), 0);
}

TEST_MAIN(TEST(test_mksquashfs), TEST(test_truncated), TEST(test_refused), TEST(test_campaign))
