/*
 * Squashfs image writer on top of libsquashfs.
 *
 * File layout, as mksquashfs and tar2sqfs produce it: super block,
 * compressor options (only when not default), data and fragment blocks,
 * inode table, directory table, fragment table, ID table, xattr tables, then
 * zero padding to 4 KiB.  The directory table is kept in memory while the
 * inode table streams to the file, because directory inodes need the
 * directory listing's location and children's inodes must be written before
 * their parent's listing can name them: a post-order walk does both.
 */
#include "squashfs-write.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <sqfs/block.h>
#include <sqfs/block_processor.h>
#include <sqfs/block_writer.h>
#include <sqfs/compressor.h>
#include <sqfs/dir_writer.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/meta_writer.h>
#include <sqfs/predef.h>
#include <sqfs/super.h>
#include <sqfs/xattr_writer.h>

struct squashfs_writer {
	sqfs_file_t *file;
	sqfs_compressor_t *cmp;
	sqfs_block_writer_t *blkwr;
	sqfs_frag_table_t *frag;
	sqfs_block_processor_t *proc;
	sqfs_id_table_t *ids;
	sqfs_xattr_writer_t *xattrs;
	sqfs_meta_writer_t *im;
	sqfs_meta_writer_t *dm;
	sqfs_dir_writer_t *dirwr;
	sqfs_super_t super;
	uint32_t next_ino;
	bool has_xattrs;
};

static int
sqfs_err(int r)
{
	if (r >= 0)
		return r;
	switch (r) {
	case SQFS_ERROR_ALLOC:
		return -ENOMEM;
	case SQFS_ERROR_ARG_INVALID:
		return -EINVAL;
	case SQFS_ERROR_OVERFLOW:
	case SQFS_ERROR_OUT_OF_BOUNDS:
		return -EOVERFLOW;
	default:
		return -EIO;
	}
}

int
squashfs_compressor_check(const char *name)
{
	if (name == NULL || strcmp(name, "gzip") == 0)
		return SQFS_COMP_GZIP;
	if (strcmp(name, "zstd") == 0)
		return SQFS_COMP_ZSTD;
	if (strcmp(name, "xz") == 0)
		return SQFS_COMP_XZ;
	return -EINVAL;
}

void
squashfs_writer_free(struct squashfs_writer *w)
{
	if (w == NULL)
		return;
	/* The processor first: its workers use the writer and compressor. */
	sqfs_destroy(w->proc);
	sqfs_destroy(w->dirwr);
	sqfs_destroy(w->dm);
	sqfs_destroy(w->im);
	sqfs_destroy(w->xattrs);
	sqfs_destroy(w->ids);
	sqfs_destroy(w->frag);
	sqfs_destroy(w->blkwr);
	sqfs_destroy(w->cmp);
	sqfs_destroy(w->file);
	free(w);
}

static unsigned
writer_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > 8 ? 8 : (unsigned)n;
}

/*
 * libsquashfs's file interface on a descriptor the caller owns (1.2 opens
 * only by name): positioned reads and writes, never reopened by name.
 */
struct fd_file {
	sqfs_file_t base;
	int fd;
};

static void
fd_file_destroy(sqfs_object_t *o)
{
	free(o); /* the descriptor stays the caller's */
}

static int
fd_file_read_at(sqfs_file_t *f, sqfs_u64 offset, void *buffer, size_t size)
{
	struct fd_file *ff = (struct fd_file *)f;
	uint8_t *p = buffer;

	while (size > 0) {
		ssize_t n = pread(ff->fd, p, size, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return SQFS_ERROR_IO;
		if (n == 0)
			return SQFS_ERROR_OUT_OF_BOUNDS;
		p += n, size -= (size_t)n, offset += (sqfs_u64)n;
	}
	return 0;
}

static int
fd_file_write_at(sqfs_file_t *f, sqfs_u64 offset, const void *buffer, size_t size)
{
	struct fd_file *ff = (struct fd_file *)f;
	const uint8_t *p = buffer;

	while (size > 0) {
		ssize_t n = pwrite(ff->fd, p, size, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return SQFS_ERROR_IO;
		p += n, size -= (size_t)n, offset += (sqfs_u64)n;
	}
	return 0;
}

static sqfs_u64
fd_file_get_size(const sqfs_file_t *f)
{
	struct stat st;

	return fstat(((const struct fd_file *)f)->fd, &st) == 0 ? (sqfs_u64)st.st_size : 0;
}

static int
fd_file_truncate(sqfs_file_t *f, sqfs_u64 size)
{
	return ftruncate(((struct fd_file *)f)->fd, (off_t)size) == 0 ? 0 : SQFS_ERROR_IO;
}

static sqfs_file_t *
fd_file_new(int fd)
{
	struct fd_file *ff = calloc(1, sizeof(*ff));

	if (ff == NULL)
		return NULL;
	ff->fd = fd;
	ff->base.base.destroy = fd_file_destroy;
	ff->base.read_at = fd_file_read_at;
	ff->base.write_at = fd_file_write_at;
	ff->base.get_size = fd_file_get_size;
	ff->base.truncate = fd_file_truncate;
	return &ff->base;
}

static int
writer_open(struct squashfs_writer *w, int fd, int comp_id, uint32_t block_size)
{
	sqfs_compressor_config_t cfg;
	int r;

	w->file = fd_file_new(fd);
	if (w->file == NULL)
		return -ENOMEM;
	r = sqfs_compressor_config_init(&cfg, (SQFS_COMPRESSOR)comp_id, block_size, 0);
	if (r == 0)
		r = sqfs_compressor_create(&cfg, &w->cmp);
	if (r != 0)
		return sqfs_err(r);
	r = sqfs_super_init(&w->super, block_size, 0, (SQFS_COMPRESSOR)comp_id);
	if (r == 0)
		r = sqfs_super_write(&w->super, w->file);
	if (r != 0)
		return sqfs_err(r);
	r = w->cmp->write_options(w->cmp, w->file);
	if (r < 0)
		return sqfs_err(r);
	if (r > 0)
		w->super.flags |= SQFS_FLAG_COMPRESSOR_OPTIONS;
	return 0;
}

int
squashfs_writer_new(
    int fd, const char *compressor, uint32_t block_size, struct squashfs_writer **ret)
{
	struct squashfs_writer *w;
	unsigned workers = writer_workers();
	int comp_id = squashfs_compressor_check(compressor);
	int r;

	if (comp_id < 0)
		return comp_id;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	r = writer_open(w, fd, comp_id, block_size);
	if (r < 0)
		goto fail;
	w->blkwr = sqfs_block_writer_create(w->file, 4096, 0);
	w->frag = sqfs_frag_table_create(0);
	w->ids = sqfs_id_table_create(0);
	w->xattrs = sqfs_xattr_writer_create(0);
	r = -ENOMEM;
	if (w->blkwr == NULL || w->frag == NULL || w->ids == NULL || w->xattrs == NULL)
		goto fail;
	w->proc = sqfs_block_processor_create(
	    block_size, w->cmp, workers, 4 * workers, w->blkwr, w->frag);
	if (w->proc == NULL)
		goto fail;
	*ret = w;
	return 0;
fail:
	squashfs_writer_free(w);
	return r;
}

int
squashfs_writer_begin_file(struct squashfs_writer *w, struct squashfs_inode *inode)
{
	return sqfs_err(
	    sqfs_block_processor_begin_file(w->proc, (sqfs_inode_generic_t **)&inode->sq, NULL, 0));
}

int
squashfs_writer_append(struct squashfs_writer *w, const void *data, size_t size)
{
	return sqfs_err(sqfs_block_processor_append(w->proc, data, size));
}

int
squashfs_writer_end_file(struct squashfs_writer *w)
{
	return sqfs_err(sqfs_block_processor_end_file(w->proc));
}

void
squashfs_inode_release(struct squashfs_inode *inode)
{
	sqfs_free(inode->sq);
	inode->sq = NULL;
}

/* Inode numbers: children before their directory, the root last. */
static void
assign_inos(struct squashfs_writer *w, struct squashfs_dirent *d)
{
	for (size_t i = 0; i < d->n_children; i++) {
		struct squashfs_dirent *c = d->children[i];

		if (S_ISDIR(c->inode->mode))
			assign_inos(w, c);
		else if (c->inode->ino == 0)
			c->inode->ino = ++w->next_ino;
	}
	d->inode->ino = ++w->next_ino;
}

static int
xattr_index(struct squashfs_writer *w, const struct squashfs_inode *n, uint32_t *ret)
{
	int r;

	*ret = 0xFFFFFFFF;
	if (n->n_xattrs == 0)
		return 0;
	r = sqfs_xattr_writer_begin(w->xattrs, 0);
	for (size_t i = 0; r == 0 && i < n->n_xattrs; i++)
		r = sqfs_xattr_writer_add(
		    w->xattrs, n->xattrs[i].key, n->xattrs[i].value, n->xattrs[i].size);
	if (r == 0)
		r = sqfs_xattr_writer_end(w->xattrs, ret);
	w->has_xattrs = true;
	return sqfs_err(r);
}

static sqfs_inode_generic_t *
inode_alloc_special(const struct squashfs_inode *n)
{
	size_t tlen = n->target != NULL ? strlen(n->target) : 0;
	sqfs_inode_generic_t *g = calloc(1, sizeof(*g) + tlen + 1);
	unsigned maj = major(n->rdev), min = minor(n->rdev);

	if (g == NULL)
		return NULL;
	switch (n->mode & S_IFMT) {
	case S_IFLNK:
		g->base.type = SQFS_INODE_SLINK;
		g->data.slink.nlink = n->nlink;
		g->data.slink.target_size = (uint32_t)tlen;
		memcpy(g->extra, n->target, tlen);
		g->payload_bytes_available = g->payload_bytes_used = (uint32_t)tlen;
		break;
	case S_IFBLK:
	case S_IFCHR:
		g->base.type = S_ISBLK(n->mode) ? SQFS_INODE_BDEV : SQFS_INODE_CDEV;
		g->data.dev.nlink = n->nlink;
		g->data.dev.devno = (min & 0xff) | (maj << 8) | ((min & ~0xffu) << 12);
		break;
	default:
		g->base.type = S_ISFIFO(n->mode) ? SQFS_INODE_FIFO : SQFS_INODE_SOCKET;
		g->data.ipc.nlink = n->nlink;
		break;
	}
	return g;
}

static int
inode_fill_base(struct squashfs_writer *w, const struct squashfs_inode *n, sqfs_inode_generic_t *g)
{
	uint32_t xidx;
	int r;

	g->base.mode = (uint16_t)n->mode;
	g->base.mod_time = n->mtime < 0            ? 0
	                   : n->mtime > UINT32_MAX ? UINT32_MAX
	                                           : (uint32_t)n->mtime;
	g->base.inode_number = n->ino;
	r = sqfs_id_table_id_to_index(w->ids, n->uid, &g->base.uid_idx);
	if (r == 0)
		r = sqfs_id_table_id_to_index(w->ids, n->gid, &g->base.gid_idx);
	if (r != 0)
		return sqfs_err(r);
	r = xattr_index(w, n, &xidx);
	if (r < 0)
		return r;
	return sqfs_err(sqfs_inode_set_xattr_index(g, xidx));
}

static int
inode_emit(struct squashfs_writer *w, struct squashfs_inode *n, sqfs_inode_generic_t *g)
{
	sqfs_u64 block;
	sqfs_u32 offset;
	int r = inode_fill_base(w, n, g);

	if (r < 0)
		return r;
	sqfs_meta_writer_get_position(w->im, &block, &offset);
	n->ref = (block << 16) | offset;
	n->written = true;
	return sqfs_err(sqfs_meta_writer_write_inode(w->im, g));
}

static int
write_leaf(struct squashfs_writer *w, struct squashfs_inode *n)
{
	sqfs_inode_generic_t *g;
	int r;

	if (n->written)
		return 0;
	if (!S_ISREG(n->mode)) {
		g = inode_alloc_special(n);
		if (g == NULL)
			return -ENOMEM;
		r = inode_emit(w, n, g);
		free(g);
		return r;
	}
	if (n->sq == NULL)
		return -EIO; /* the producer never streamed this file */
	g = n->sq;
	if (n->nlink > 1) {
		r = sqfs_err(sqfs_inode_make_extended(g));
		if (r < 0)
			return r;
		g->data.file_ext.nlink = n->nlink;
	}
	return inode_emit(w, n, g);
}

static int write_dir(struct squashfs_writer *w, struct squashfs_dirent *d, uint32_t parent_ino);

static int
write_children(struct squashfs_writer *w, struct squashfs_dirent *d, size_t *ret_subdirs)
{
	size_t subdirs = 0;
	int r = 0;

	for (size_t i = 0; r == 0 && i < d->n_children; i++) {
		struct squashfs_dirent *c = d->children[i];

		if (S_ISDIR(c->inode->mode)) {
			subdirs++;
			r = write_dir(w, c, d->inode->ino);
		} else
			r = write_leaf(w, c->inode);
	}
	*ret_subdirs = subdirs;
	return r;
}

static int
write_listing(struct squashfs_writer *w, struct squashfs_dirent *d)
{
	int r = sqfs_dir_writer_begin(w->dirwr, 0);

	for (size_t i = 0; r == 0 && i < d->n_children; i++) {
		struct squashfs_inode *n = d->children[i]->inode;

		r = sqfs_dir_writer_add_entry(
		    w->dirwr, d->children[i]->name, n->ino, n->ref, (uint16_t)n->mode);
	}
	if (r == 0)
		r = sqfs_dir_writer_end(w->dirwr);
	return sqfs_err(r);
}

static int
write_dir(struct squashfs_writer *w, struct squashfs_dirent *d, uint32_t parent_ino)
{
	sqfs_inode_generic_t *g;
	size_t subdirs;
	int r;

	r = write_children(w, d, &subdirs);
	if (r < 0)
		return r;
	r = write_listing(w, d);
	if (r < 0)
		return r;
	g = sqfs_dir_writer_create_inode(w->dirwr, 2 + subdirs, 0xFFFFFFFF, parent_ino);
	if (g == NULL)
		return -ENOMEM;
	r = inode_emit(w, d->inode, g); /* a directory index rides in g's payload */
	sqfs_free(g);
	return r;
}

static int
write_tables(struct squashfs_writer *w, struct squashfs_dirent *root)
{
	int r;

	w->im = sqfs_meta_writer_create(w->file, w->cmp, 0);
	w->dm = sqfs_meta_writer_create(w->file, w->cmp, SQFS_META_WRITER_KEEP_IN_MEMORY);
	if (w->im == NULL || w->dm == NULL)
		return -ENOMEM;
	w->dirwr = sqfs_dir_writer_create(w->dm, 0);
	if (w->dirwr == NULL)
		return -ENOMEM;
	assign_inos(w, root);
	w->super.inode_table_start = w->file->get_size(w->file);
	r = write_dir(w, root, 0);
	if (r < 0)
		return r;
	w->super.root_inode_ref = root->inode->ref;
	w->super.inode_count = w->next_ino;
	r = sqfs_meta_writer_flush(w->im);
	if (r == 0) {
		w->super.directory_table_start = w->file->get_size(w->file);
		r = sqfs_meta_writer_flush(w->dm);
	}
	if (r == 0)
		r = sqfs_meta_write_write_to_file(w->dm);
	return sqfs_err(r);
}

static int
write_trailer(struct squashfs_writer *w)
{
	static const uint8_t zeros[4096];
	sqfs_u64 size;
	int r;

	r = sqfs_frag_table_write(w->frag, w->file, &w->super, w->cmp);
	if (r == 0)
		r = sqfs_id_table_write(w->ids, w->file, &w->super, w->cmp);
	if (r == 0)
		r = sqfs_xattr_writer_flush(w->xattrs, w->file, &w->super, w->cmp);
	if (r != 0)
		return sqfs_err(r);
	if (!w->has_xattrs)
		w->super.flags |= SQFS_FLAG_NO_XATTRS;
	size = w->file->get_size(w->file);
	w->super.bytes_used = size;
	if (size % 4096 != 0) {
		r = w->file->write_at(w->file, size, zeros, 4096 - size % 4096);
		if (r != 0)
			return sqfs_err(r);
	}
	return sqfs_err(sqfs_super_write(&w->super, w->file));
}

int
squashfs_writer_finish(struct squashfs_writer *w, struct squashfs_dirent *root, uint32_t mtime)
{
	int r;

	if (root == NULL || !S_ISDIR(root->inode->mode))
		return -EINVAL;
	r = sqfs_err(sqfs_block_processor_finish(w->proc));
	if (r < 0)
		return r;
	w->super.modification_time = mtime != 0 ? mtime : (uint32_t)time(NULL);
	r = write_tables(w, root);
	if (r < 0)
		return r;
	return write_trailer(w);
}
