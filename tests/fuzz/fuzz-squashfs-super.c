/*
 * squashfs_super_parse() and squashfs_super_check() on arbitrary bytes, as
 * the first bytes of a file of that size and of a larger one: no crash, no
 * read past the input, and whatever passes the check has the geometry the
 * check promises (a power-of-two block size from 4 KiB to 1 MiB matching
 * block_log, version 4.0, bytes_used inside the file, ordered tables).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "squashfs-super.h"

static void
check(const uint8_t *data, size_t size, uint64_t file_size)
{
	struct squashfs_super s;
	const char *why = NULL;
	int r = squashfs_super_parse(data, size, &s);

	if (r < 0) {
		FUZZ_CHECK(r == -ENOBUFS && size < SQUASHFS_SUPER_SIZE);
		return;
	}
	r = squashfs_super_check(&s, file_size, &why);
	if (r < 0) {
		FUZZ_CHECK(r == -EBADMSG && why != NULL && why[0] != '\0');
		return;
	}
	FUZZ_CHECK(s.magic == SQUASHFS_SUPER_MAGIC && s.version_major == 4 && s.version_minor == 0);
	FUZZ_CHECK(s.block_size >= SQUASHFS_BLOCK_MIN && s.block_size <= SQUASHFS_BLOCK_MAX);
	FUZZ_CHECK((s.block_size & (s.block_size - 1)) == 0 && 1u << s.block_log == s.block_size);
	FUZZ_CHECK(s.bytes_used >= SQUASHFS_SUPER_SIZE && s.bytes_used <= file_size);
	FUZZ_CHECK(
	    s.inode_table < s.dir_table && s.dir_table < s.id_table && s.id_table < s.bytes_used);
	FUZZ_CHECK(s.inode_count >= 1 && s.inode_count <= s.bytes_used && s.id_count >= 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact copy, so that a read past the input is caught by ASan. */
	uint8_t *copy = malloc(size > 0 ? size : 1);

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	check(copy, size, size);
	check(copy, size, (uint64_t)size << 20);
	free(copy);
	return 0;
}
