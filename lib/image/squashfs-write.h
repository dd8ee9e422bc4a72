/*
 * Writing a squashfs image from an in-memory tree with libsquashfs
 * (squashfs-tools-ng), streaming file data in any order.
 *
 * The producer builds a tree of squashfs_dirent (names) pointing to
 * squashfs_inode (metadata; hard links share one inode), then feeds the data
 * of every regular-file inode once through begin_file/append/end_file, in
 * whatever order its input has them.  squashfs_writer_finish() then writes
 * the inode table, directory table, fragment, ID and xattr tables and the
 * super block, the way mksquashfs lays them out.
 */
#ifndef NETBOOTD_SQUASHFS_WRITE_H
#define NETBOOTD_SQUASHFS_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SQUASHFS_WRITE_BLOCK_SIZE (1024 * 1024)

struct squashfs_xattr {
	char *key;
	void *value;
	size_t size;
};

struct squashfs_inode {
	uint32_t mode; /* full st_mode: type and permissions */
	uint32_t uid;
	uint32_t gid;
	int64_t mtime;
	uint64_t rdev;
	uint64_t size; /* regular files */
	char *target;  /* symlinks */
	struct squashfs_xattr *xattrs;
	size_t n_xattrs;
	uint32_t nlink; /* directory entries pointing here */
	/* Where the producer finds the data (opaque to the writer). */
	uint32_t src_layer;
	uint64_t src_index;
	/* Writer state. */
	uint32_t ino;
	bool queued;
	bool written;
	void *sq; /* sqfs_inode_generic_t of a regular file */
	uint64_t ref;
};

struct squashfs_dirent {
	char *name;
	struct squashfs_dirent *parent;
	struct squashfs_inode *inode;
	struct squashfs_dirent **children; /* sorted by strcmp() of name */
	size_t n_children;
	size_t cap_children;
	uint32_t layer; /* producer's bookkeeping */
};

struct squashfs_writer;

/* "gzip", "zstd", "xz" or NULL (gzip).  -EINVAL for anything else. */
int squashfs_compressor_check(const char *name);

/* Writes through 'fd' (opened for writing, empty), which stays the caller's. */
int squashfs_writer_new(
    int fd, const char *compressor, uint32_t block_size, struct squashfs_writer **ret);
int squashfs_writer_begin_file(struct squashfs_writer *w, struct squashfs_inode *inode);
int squashfs_writer_append(struct squashfs_writer *w, const void *data, size_t size);
int squashfs_writer_end_file(struct squashfs_writer *w);
/* Writes everything else; root must be a directory.  mtime 0 means now. */
int squashfs_writer_finish(struct squashfs_writer *w, struct squashfs_dirent *root, uint32_t mtime);
void squashfs_writer_free(struct squashfs_writer *w);

/* Frees a regular-file inode's libsquashfs inode (sq). */
void squashfs_inode_release(struct squashfs_inode *inode);

#endif
