/*
 * OCI layers to kernel + initrd + squashfs, in two passes over the layer
 * blobs (see oci-layers.h).  The tree is squashfs-write's: directories hold
 * sorted child arrays (layers list directories mostly in order, so inserts
 * append), hard links share an inode with a reference count.
 */
#include "oci-layers.h"
#include "text.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "io.h"
#include "util.h"

#define SYMLINK_MAX_DEPTH 40
#define CHUNK_SIZE        (256 * 1024)

struct oci_tree {
	struct squashfs_dirent *root;
	size_t entries;
	uint32_t layer;
	uint64_t index;
	char *error;
};

static int __attribute__((format(printf, 3, 4)))
tree_fail(struct oci_tree *t, int r, const char *fmt, ...)
{
	va_list ap;

	if (t->error == NULL) {
		va_start(ap, fmt);
		if (vasprintf(&t->error, fmt, ap) < 0)
			t->error = NULL;
		va_end(ap);
	}
	return r;
}

int
oci_path_normalize(const char *in, char *out, size_t out_size)
{
	size_t len = 0;
	const char *p = in;

	while (*p != '\0') {
		const char *s;
		size_t n;

		while (*p == '/')
			p++;
		s = p;
		while (*p != '\0' && *p != '/')
			p++;
		n = (size_t)(p - s);
		if (n == 0 || (n == 1 && s[0] == '.'))
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return -EBADMSG;
		if (n > OCI_LAYERS_MAX_NAME || len + 1 + n + 1 > out_size ||
		    len + 1 + n > OCI_LAYERS_MAX_PATH)
			return -ENAMETOOLONG;
		if (len > 0)
			out[len++] = '/';
		memcpy(out + len, s, n);
		len += n;
	}
	if (out_size == 0)
		return -ENAMETOOLONG;
	out[len] = '\0';
	return 0;
}

int
oci_layer_compression_from_media_type(const char *mt)
{
	static const char *const prefixes[] = {
	    "application/vnd.oci.image.layer.",
	    "application/vnd.docker.image.rootfs.",
	};
	size_t len = strlen(mt);
	bool layer = false;

	for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
		layer |= strncmp(mt, prefixes[i], strlen(prefixes[i])) == 0;
	if (!layer)
		return -EPROTONOSUPPORT;
	if (len >= 5 && (strcmp(mt + len - 5, "+gzip") == 0 || strcmp(mt + len - 5, ".gzip") == 0))
		return OCI_LAYER_GZIP;
	if (len >= 5 && strcmp(mt + len - 5, "+zstd") == 0)
		return OCI_LAYER_ZSTD;
	if (len >= 4 && strcmp(mt + len - 4, ".tar") == 0)
		return OCI_LAYER_TAR;
	return -EPROTONOSUPPORT;
}

enum oci_layer_compression
oci_layer_compression_from_magic(const uint8_t *p, size_t n)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return OCI_LAYER_GZIP;
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return OCI_LAYER_ZSTD;
	return OCI_LAYER_TAR;
}

/* ---- the tree ---- */

static void
inode_unref(struct squashfs_inode *n)
{
	if (n == NULL || --n->nlink > 0)
		return;
	for (size_t i = 0; i < n->n_xattrs; i++) {
		free(n->xattrs[i].key);
		free(n->xattrs[i].value);
	}
	free(n->xattrs);
	free(n->target);
	squashfs_inode_release(n);
	free(n);
}

static void
dirent_free(struct oci_tree *t, struct squashfs_dirent *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n_children; i++)
		dirent_free(t, d->children[i]);
	free(d->children);
	inode_unref(d->inode);
	free(d->name);
	free(d);
	t->entries--;
}

static struct squashfs_dirent *
dirent_new(struct oci_tree *t, const char *name, struct squashfs_inode *inode)
{
	struct squashfs_dirent *d;

	if (t->entries >= OCI_LAYERS_MAX_ENTRIES) {
		errno = E2BIG;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->name = strdup(name);
	if (d->name == NULL) {
		free(d);
		return NULL;
	}
	d->inode = inode;
	d->layer = t->layer;
	t->entries++;
	return d;
}

static const char *
child_name(const void *v, size_t i)
{
	return ((struct squashfs_dirent *const *)v)[i]->name;
}

static size_t
dir_search(const struct squashfs_dirent *d, const char *name, bool *ret_found)
{
	size_t hi = d->n_children;

	/* Fast path: tar streams list most directories in order. */
	if (hi > 0 && strcmp(d->children[hi - 1]->name, name) < 0) {
		*ret_found = false;
		return hi;
	}
	return text_bsearch(d->children, hi, child_name, name, ret_found);
}

static int
dir_insert(struct squashfs_dirent *d, size_t pos, struct squashfs_dirent *c)
{
	if (d->n_children == d->cap_children) {
		size_t cap = d->cap_children ? d->cap_children * 2 : 8;
		struct squashfs_dirent **v = reallocarray(d->children, cap, sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		d->children = v;
		d->cap_children = cap;
	}
	memmove(
	    d->children + pos + 1, d->children + pos, (d->n_children - pos) * sizeof(*d->children));
	d->children[pos] = c;
	d->n_children++;
	c->parent = d;
	return 0;
}

static void
dir_remove_at(struct oci_tree *t, struct squashfs_dirent *d, size_t pos)
{
	dirent_free(t, d->children[pos]);
	memmove(d->children + pos, d->children + pos + 1,
	    (d->n_children - pos - 1) * sizeof(*d->children));
	d->n_children--;
}

static struct squashfs_inode *
inode_new(uint32_t mode)
{
	struct squashfs_inode *n = calloc(1, sizeof(*n));

	if (n != NULL) {
		n->mode = mode;
		n->nlink = 1;
	}
	return n;
}

static struct squashfs_dirent *
dir_add_implicit(struct oci_tree *t, struct squashfs_dirent *d, size_t pos, const char *name)
{
	struct squashfs_inode *n = inode_new(S_IFDIR | 0755);
	struct squashfs_dirent *c;

	if (n == NULL)
		return NULL;
	c = dirent_new(t, name, n);
	if (c == NULL) {
		free(n);
		return NULL;
	}
	if (dir_insert(d, pos, c) < 0) {
		dirent_free(t, c);
		return NULL;
	}
	return c;
}

struct oci_tree *
oci_tree_new(void)
{
	struct oci_tree *t = calloc(1, sizeof(*t));
	struct squashfs_inode *n = inode_new(S_IFDIR | 0755);

	if (t == NULL || n == NULL)
		goto fail;
	t->root = dirent_new(t, "", n);
	if (t->root == NULL)
		goto fail;
	return t;
fail:
	free(n);
	free(t);
	return NULL;
}

void
oci_tree_free(struct oci_tree *t)
{
	if (t == NULL)
		return;
	dirent_free(t, t->root);
	free(t->error);
	free(t);
}

size_t
oci_tree_entries(const struct oci_tree *t)
{
	return t->entries;
}

/* ---- resolution inside the image root ---- */

static int tree_walk(struct oci_tree *t, struct squashfs_dirent *at, const char *path,
    bool follow_last, bool create, unsigned *depth, struct squashfs_dirent **ret);

static int
walk_symlink(struct oci_tree *t, struct squashfs_dirent *at, struct squashfs_dirent *link,
    bool create, unsigned *depth, struct squashfs_dirent **ret)
{
	const char *target = link->inode->target;

	if (++*depth > SYMLINK_MAX_DEPTH)
		return -ELOOP;
	return tree_walk(t, target[0] == '/' ? t->root : at, target, true, create, depth, ret);
}

static int
walk_step(struct oci_tree *t, struct squashfs_dirent **at, const char *comp, bool last,
    bool follow_last, bool create, unsigned *depth)
{
	struct squashfs_dirent *d = *at, *c;
	bool found;
	size_t pos;

	if (strcmp(comp, "..") == 0) {
		*at = d->parent != NULL ? d->parent : t->root; /* clamped at the root */
		return 0;
	}
	if (!S_ISDIR(d->inode->mode))
		return -ENOTDIR;
	pos = dir_search(d, comp, &found);
	if (!found) {
		if (!create)
			return -ENOENT;
		c = dir_add_implicit(t, d, pos, comp);
		if (c == NULL)
			return errno == E2BIG ? -E2BIG : -ENOMEM;
		*at = c;
		return 0;
	}
	c = d->children[pos];
	if (S_ISLNK(c->inode->mode) && (!last || follow_last))
		return walk_symlink(t, d, c, create, depth, at);
	if (!last && !S_ISDIR(c->inode->mode))
		return -ENOTDIR;
	*at = c;
	return 0;
}

/* The next component of a path, skipping "/" runs and "." (length 0 at the end). */
static const char *
next_comp(const char *p, size_t *ret_len)
{
	for (;;) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 1 && p[0] == '.') {
			p++;
			continue;
		}
		*ret_len = n;
		return p;
	}
}

static int
tree_walk(struct oci_tree *t, struct squashfs_dirent *at, const char *path, bool follow_last,
    bool create, unsigned *depth, struct squashfs_dirent **ret)
{
	char comp[OCI_LAYERS_MAX_NAME + 1];
	size_t n, next_n;
	const char *p = next_comp(path, &n);
	int r;

	while (n > 0) {
		if (n > OCI_LAYERS_MAX_NAME)
			return -ENAMETOOLONG;
		memcpy(comp, p, n);
		comp[n] = '\0';
		p = next_comp(p + n, &next_n);
		r = walk_step(t, &at, comp, next_n == 0, follow_last, create, depth);
		if (r < 0)
			return r;
		n = next_n;
	}
	*ret = at;
	return 0;
}

const struct squashfs_dirent *
oci_tree_lookup(struct oci_tree *t, const char *path, int follow_last)
{
	struct squashfs_dirent *d;
	unsigned depth = 0;

	if (tree_walk(t, t->root, path, follow_last, false, &depth, &d) < 0)
		return NULL;
	return d;
}

static const struct squashfs_dirent *
boot_pick(struct oci_tree *t, struct squashfs_dirent *boot, const char *prefix)
{
	for (size_t i = 0; i < boot->n_children; i++) {
		struct squashfs_dirent *c = boot->children[i], *r = c;
		unsigned depth = 0;

		if (strncmp(c->name, prefix, strlen(prefix)) != 0 || S_ISDIR(c->inode->mode))
			continue;
		if (S_ISLNK(c->inode->mode) && walk_symlink(t, boot, c, false, &depth, &r) < 0)
			continue;
		if (S_ISREG(r->inode->mode))
			return r;
	}
	return NULL;
}

const struct squashfs_dirent *
oci_tree_find_boot(struct oci_tree *t, int initrd)
{
	static const char *const kernels[] = {"uImage", "Image", "zImage", "vmlinuz", "image"};
	static const char *const initrds[] = {"initrd", "initramfs"};
	const char *const *names = initrd ? initrds : kernels;
	size_t n = initrd ? ELEMENTSOF(initrds) : ELEMENTSOF(kernels);
	struct squashfs_dirent *boot;
	unsigned depth = 0;

	if (tree_walk(t, t->root, "boot", true, false, &depth, &boot) < 0 ||
	    !S_ISDIR(boot->inode->mode))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct squashfs_dirent *d = boot_pick(t, boot, names[i]);

		if (d != NULL)
			return d;
	}
	return NULL;
}

/* ---- pass 1: applying one tar entry ---- */

static bool
xattr_supported(const char *key)
{
	return strncmp(key, "user.", 5) == 0 || strncmp(key, "trusted.", 8) == 0 ||
	       strncmp(key, "security.", 9) == 0;
}

static int
inode_add_xattrs(struct squashfs_inode *n, struct archive_entry *e)
{
	const char *key;
	const void *value;
	size_t size;
	int count = archive_entry_xattr_reset(e);

	if (count <= 0)
		return 0;
	if (count > OCI_LAYERS_MAX_XATTRS)
		return -E2BIG;
	n->xattrs = calloc((size_t)count, sizeof(*n->xattrs));
	if (n->xattrs == NULL)
		return -ENOMEM;
	while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
		struct squashfs_xattr *x = &n->xattrs[n->n_xattrs];

		if (!xattr_supported(key))
			continue; /* squashfs stores user., trusted. and security. only */
		if (size > OCI_LAYERS_MAX_XATTR || n->n_xattrs >= (size_t)count)
			return -E2BIG;
		x->key = strdup(key);
		x->value = malloc(size ? size : 1);
		if (x->key == NULL || x->value == NULL) {
			free(x->key);
			free(x->value);
			return -ENOMEM;
		}
		memcpy(x->value, value, size);
		x->size = size;
		n->n_xattrs++;
	}
	return 0;
}

static void
inode_set_meta(struct squashfs_inode *n, struct archive_entry *e)
{
	n->mode = (archive_entry_filetype(e) & S_IFMT) | (archive_entry_perm(e) & 07777);
	n->uid = (uint32_t)archive_entry_uid(e);
	n->gid = (uint32_t)archive_entry_gid(e);
	n->mtime = archive_entry_mtime(e);
	n->rdev = archive_entry_rdev(e);
}

static bool
filetype_supported(unsigned type)
{
	switch (type) {
	case AE_IFREG:
	case AE_IFDIR:
	case AE_IFLNK:
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
	case AE_IFSOCK:
		return true;
	default:
		return false;
	}
}

static int
inode_from_entry(
    struct oci_tree *t, struct archive_entry *e, const char *path, struct squashfs_inode **ret)
{
	unsigned type = archive_entry_filetype(e);
	struct squashfs_inode *n;
	int r;

	if (!filetype_supported(type))
		return tree_fail(t, -EBADMSG, "entry \"%s\" has an unsupported file type", path);
	if (archive_entry_uid(e) < 0 || archive_entry_uid(e) > UINT32_MAX ||
	    archive_entry_gid(e) < 0 || archive_entry_gid(e) > UINT32_MAX ||
	    archive_entry_size(e) < 0)
		return tree_fail(t, -EBADMSG, "entry \"%s\" has a bad owner or size", path);
	n = inode_new(0);
	if (n == NULL)
		return -ENOMEM;
	inode_set_meta(n, e);
	if (type == AE_IFREG) {
		n->size = (uint64_t)archive_entry_size(e);
		n->src_layer = t->layer;
		n->src_index = t->index;
	} else if (type == AE_IFLNK) {
		const char *target = archive_entry_symlink(e);

		if (target == NULL || target[0] == '\0' || strlen(target) >= OCI_LAYERS_MAX_PATH) {
			inode_unref(n);
			return tree_fail(t, -EBADMSG, "symlink \"%s\" has a bad target", path);
		}
		n->target = strdup(target);
		if (n->target == NULL) {
			inode_unref(n);
			return -ENOMEM;
		}
	}
	r = inode_add_xattrs(n, e);
	if (r < 0) {
		inode_unref(n);
		return tree_fail(t, r, "entry \"%s\" has too many or too large xattrs", path);
	}
	*ret = n;
	return 0;
}

/* An opaque directory: drop everything lower layers put below it. */
static void
prune_lower(struct oci_tree *t, struct squashfs_dirent *d)
{
	for (size_t i = d->n_children; i-- > 0;) {
		struct squashfs_dirent *c = d->children[i];

		if (c->layer < t->layer)
			dir_remove_at(t, d, i);
		else if (S_ISDIR(c->inode->mode))
			prune_lower(t, c);
	}
}

static int
apply_whiteout(struct oci_tree *t, struct squashfs_dirent *dir, const char *base)
{
	const char *name = base + strlen(".wh.");
	bool found;
	size_t pos;

	if (strcmp(base, ".wh..wh..opq") == 0) {
		prune_lower(t, dir);
		return 0;
	}
	if (strncmp(base, ".wh..wh.", 8) == 0 || name[0] == '\0')
		return 0; /* aufs bookkeeping (.wh..wh.plnk ...) */
	pos = dir_search(dir, name, &found);
	if (!found)
		return 0;
	if (dir->children[pos]->layer < t->layer)
		dir_remove_at(t, dir, pos);
	else if (S_ISDIR(dir->children[pos]->inode->mode))
		prune_lower(t, dir->children[pos]);
	return 0;
}

static int
hardlink_inode(
    struct oci_tree *t, struct archive_entry *e, const char *path, struct squashfs_inode **ret)
{
	char target[OCI_LAYERS_MAX_PATH + 1];
	struct squashfs_dirent *d;
	unsigned depth = 0;
	const char *link = archive_entry_hardlink(e);

	if (oci_path_normalize(link, target, sizeof(target)) < 0 || target[0] == '\0')
		return tree_fail(
		    t, -EBADMSG, "hard link \"%s\" points outside the image (\"%s\")", path, link);
	if (tree_walk(t, t->root, target, false, false, &depth, &d) < 0)
		return tree_fail(
		    t, -EBADMSG, "hard link \"%s\" points to missing \"%s\"", path, link);
	if (S_ISDIR(d->inode->mode))
		return tree_fail(
		    t, -EBADMSG, "hard link \"%s\" points to directory \"%s\"", path, link);
	if (d->inode->nlink == UINT32_MAX)
		return tree_fail(t, -EMLINK, "too many hard links to \"%s\"", link);
	d->inode->nlink++;
	*ret = d->inode;
	return 0;
}

static int
apply_node(struct oci_tree *t, struct archive_entry *e, struct squashfs_dirent *dir,
    const char *base, const char *path)
{
	struct squashfs_inode *n = NULL;
	struct squashfs_dirent *c;
	bool found, is_link = archive_entry_hardlink(e) != NULL;
	size_t pos;
	int r;

	pos = dir_search(dir, base, &found);
	if (found && !is_link && archive_entry_filetype(e) == AE_IFDIR &&
	    S_ISDIR(dir->children[pos]->inode->mode)) {
		c = dir->children[pos]; /* a directory over a directory: merge */
		inode_set_meta(c->inode, e);
		c->layer = t->layer;
		return 0;
	}
	r = is_link ? hardlink_inode(t, e, path, &n) : inode_from_entry(t, e, path, &n);
	if (r < 0)
		return r;
	if (found && dir->children[pos]->inode != n)
		dir_remove_at(t, dir, pos);
	else if (found) {
		inode_unref(n); /* a hard link to itself */
		return 0;
	}
	c = dirent_new(t, base, n);
	if (c == NULL) {
		inode_unref(n);
		return tree_fail(t, errno == E2BIG ? -E2BIG : -ENOMEM,
		    "the image has more than %u entries", OCI_LAYERS_MAX_ENTRIES);
	}
	r = dir_insert(dir, pos, c);
	if (r < 0)
		dirent_free(t, c);
	return r;
}

static int
tree_apply(struct oci_tree *t, struct archive_entry *e)
{
	char path[OCI_LAYERS_MAX_PATH + 1];
	struct squashfs_dirent *dir;
	const char *name = archive_entry_pathname(e);
	unsigned depth = 0;
	char *slash, *base;
	int r;

	if (name == NULL)
		return tree_fail(t, -EBADMSG, "layer %u: an entry has no usable name", t->layer);
	r = oci_path_normalize(name, path, sizeof(path));
	if (r == -EBADMSG)
		return tree_fail(
		    t, r, "layer %u: entry \"%s\" escapes the image root", t->layer, name);
	if (r < 0)
		return tree_fail(
		    t, r, "layer %u: entry name \"%.64s...\" is too long", t->layer, name);
	if (path[0] == '\0') {
		if (archive_entry_filetype(e) != AE_IFDIR)
			return tree_fail(
			    t, -EBADMSG, "layer %u: the root is not a directory", t->layer);
		inode_set_meta(t->root->inode, e);
		return 0;
	}
	slash = strrchr(path, '/');
	base = slash != NULL ? slash + 1 : path;
	if (slash != NULL)
		*slash = '\0';
	r = tree_walk(t, t->root, slash != NULL ? path : "", true, true, &depth, &dir);
	if (r == 0 && !S_ISDIR(dir->inode->mode))
		r = -ENOTDIR;
	if (r < 0)
		return tree_fail(t, r, "layer %u: parent directory of \"%s\": %s", t->layer, name,
		    r == -E2BIG ? "too many entries" : strerror(-r));
	if (strncmp(base, ".wh.", 4) == 0)
		return apply_whiteout(t, dir, base);
	return apply_node(t, e, dir, base, name);
}

/* ---- reading layers ---- */

struct build {
	const struct oci_layer *layers;
	size_t n_layers;
	const struct oci_build_opts *opts;
	oci_progress_fn progress;
	void *userdata;
	const atomic_bool *cancel;
	uint64_t total;
	uint64_t done;
	uint64_t expanded; /* uncompressed bytes of the layers scanned so far */
	struct oci_tree *tree;
	struct squashfs_inode **files;
	size_t n_files;
	struct squashfs_inode *kernel, *initrd;
	int kernel_fd, initrd_fd;
	struct squashfs_writer *sqfs;
	uint8_t *buf;
};

static bool
cancelled(const struct build *b)
{
	return b->cancel != NULL && atomic_load(b->cancel);
}

static struct archive *
layer_archive_new(enum oci_layer_compression c)
{
	struct archive *a = archive_read_new();

	if (a == NULL)
		return NULL;
	archive_read_support_format_tar(a);
	if (c == OCI_LAYER_GZIP)
		archive_read_support_filter_gzip(a);
	else if (c == OCI_LAYER_ZSTD)
		archive_read_support_filter_zstd(a);
	return a;
}

/*
 * The image's uncompressed size so far, with the entry just read, against
 * the cap: a compression bomb is refused at its first header, before its
 * data is inflated.
 */
static int
size_check(struct build *b, struct archive *a, struct archive_entry *e)
{
	uint64_t here = b->expanded + (uint64_t)archive_filter_bytes(a, 0);
	la_int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;

	if (b->opts->max_size == 0)
		return 0;
	if (size > 0)
		here += (uint64_t)size;
	if (here <= b->opts->max_size)
		return 0;
	return tree_fail(b->tree, -EFBIG,
	    "layer %u expands the image beyond the size cap of %llu bytes (images: max_size)",
	    b->tree->layer, (unsigned long long)b->opts->max_size);
}

static int
scan_entries(struct oci_tree *t, struct archive *a, struct build *b, uint64_t base)
{
	struct archive_entry *e;
	int r;

	for (t->index = 0;; t->index++) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return tree_fail(t, -EBADMSG, "layer %u is not a valid tar: %s", t->layer,
			    archive_error_string(a));
		if (b != NULL && cancelled(b))
			return -ECANCELED;
		if (b != NULL && (r = size_check(b, a, e)) < 0)
			return r;
		r = tree_apply(t, e);
		if (r < 0)
			return r;
		if (b != NULL && b->progress != NULL && t->index % 256 == 0)
			b->progress("scan", base + (uint64_t)archive_filter_bytes(a, -1), b->total,
			    b->userdata);
	}
}

int
oci_tree_add_layer_memory(
    struct oci_tree *t, uint32_t layer, const void *data, size_t size, char **ret_error)
{
	struct archive *a = layer_archive_new(oci_layer_compression_from_magic(data, size));
	int r;

	if (a == NULL)
		return -ENOMEM;
	t->layer = layer;
	r = archive_read_open_memory(a, data, size) == ARCHIVE_OK
	        ? scan_entries(t, a, NULL, 0)
	        : tree_fail(t, -EBADMSG, "layer %u is not a valid tar: %s", layer,
	              archive_error_string(a));
	archive_read_free(a);
	if (r < 0 && ret_error != NULL && t->error != NULL)
		*ret_error = TAKE_PTR(t->error);
	return r;
}

struct layer_reader {
	struct archive *a;
	int fd;
	bool borrowed; /* the caller's (struct oci_layer.opened): not closed */
};

static void
layer_close(struct layer_reader *l)
{
	if (l->a != NULL)
		archive_read_free(l->a);
	if (l->fd >= 0 && !l->borrowed)
		close(l->fd);
	*l = (struct layer_reader){.fd = -1};
}

static int
layer_compression(struct build *b, uint32_t i, int fd)
{
	const char *mt = b->layers[i].media_type;
	uint8_t magic[4];
	ssize_t n;
	int c;

	if (mt == NULL) {
		n = pread(fd, magic, sizeof(magic), 0);
		return oci_layer_compression_from_magic(magic, n > 0 ? (size_t)n : 0);
	}
	c = oci_layer_compression_from_media_type(mt);
	if (c < 0)
		return tree_fail(b->tree, c, "layer %u has unsupported media type \"%s\"", i, mt);
	return c;
}

static int
layer_open(struct build *b, uint32_t i, struct layer_reader *l)
{
	int c;

	if (b->layers[i].opened) {
		*l = (struct layer_reader){.fd = b->layers[i].fd, .borrowed = true};
		if (lseek(l->fd, 0, SEEK_SET) < 0)
			return tree_fail(b->tree, -errno, "cannot read layer %u \"%s\": %m", i,
			    b->layers[i].path);
	} else
		*l = (struct layer_reader){.fd = open(b->layers[i].path, O_RDONLY | O_CLOEXEC)};
	if (l->fd < 0)
		return tree_fail(
		    b->tree, -errno, "cannot open layer %u \"%s\": %m", i, b->layers[i].path);
	c = layer_compression(b, i, l->fd);
	if (c >= 0)
		l->a = layer_archive_new(c);
	if (c >= 0 && l->a == NULL)
		c = -ENOMEM;
	if (c >= 0 && archive_read_open_fd(l->a, l->fd, CHUNK_SIZE) != ARCHIVE_OK)
		c = tree_fail(b->tree, -EBADMSG, "layer %u is not a valid tar: %s", i,
		    archive_error_string(l->a));
	if (c < 0)
		layer_close(l);
	return c < 0 ? c : 0;
}

static int
pass_scan(struct build *b)
{
	for (uint32_t i = 0; i < b->n_layers; i++) {
		struct layer_reader l;
		struct stat st;
		int r;

		r = layer_open(b, i, &l);
		if (r < 0)
			return r;
		b->tree->layer = i;
		r = scan_entries(b->tree, l.a, b, b->done);
		b->expanded += (uint64_t)archive_filter_bytes(l.a, 0);
		if (fstat(l.fd, &st) == 0)
			b->done += (uint64_t)st.st_size;
		layer_close(&l);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- pass 2: file data into the squashfs ---- */

static int
collect_files(struct build *b, struct squashfs_dirent *d, size_t *cap)
{
	for (size_t i = 0; i < d->n_children; i++) {
		struct squashfs_inode *n = d->children[i]->inode;
		int r;

		if (S_ISDIR(n->mode)) {
			r = collect_files(b, d->children[i], cap);
			if (r < 0)
				return r;
			continue;
		}
		if (!S_ISREG(n->mode) || n->queued)
			continue;
		if (b->n_files == *cap) {
			size_t c = *cap ? *cap * 2 : 1024;
			struct squashfs_inode **v = reallocarray(b->files, c, sizeof(*v));

			if (v == NULL)
				return -ENOMEM;
			b->files = v;
			*cap = c;
		}
		n->queued = true;
		b->files[b->n_files++] = n;
	}
	return 0;
}

static int
file_order(const void *pa, const void *pb)
{
	const struct squashfs_inode *a = *(struct squashfs_inode *const *)pa;
	const struct squashfs_inode *b = *(struct squashfs_inode *const *)pb;

	if (a->src_layer != b->src_layer)
		return a->src_layer < b->src_layer ? -1 : 1;
	return a->src_index < b->src_index ? -1 : a->src_index > b->src_index;
}

static int
stream_chunk(struct build *b, struct squashfs_inode *n, const uint8_t *p, size_t len)
{
	int r = squashfs_writer_append(b->sqfs, p, len);

	if (r < 0)
		return tree_fail(b->tree, r, "writing the squashfs failed: %s", strerror(-r));
	if (n == b->kernel)
		r = io_write_all(b->kernel_fd, p, len);
	if (r == 0 && n == b->initrd)
		r = io_write_all(b->initrd_fd, p, len);
	if (r < 0)
		return tree_fail(
		    b->tree, r, "writing the kernel or initrd failed: %s", strerror(-r));
	return 0;
}

static int
stream_file(struct build *b, struct archive *a, struct squashfs_inode *n, uint64_t base)
{
	uint64_t got = 0;
	int r = squashfs_writer_begin_file(b->sqfs, n);

	if (r < 0)
		return tree_fail(b->tree, r, "writing the squashfs failed: %s", strerror(-r));
	for (;;) {
		la_ssize_t len = archive_read_data(a, b->buf, CHUNK_SIZE);

		if (len == 0)
			break;
		if (len < 0)
			return tree_fail(b->tree, -EBADMSG, "layer %u: %s", n->src_layer,
			    archive_error_string(a));
		if (cancelled(b))
			return -ECANCELED;
		r = stream_chunk(b, n, b->buf, (size_t)len);
		if (r < 0)
			return r;
		got += (uint64_t)len;
		if (b->progress != NULL)
			b->progress("write", base + (uint64_t)archive_filter_bytes(a, -1), b->total,
			    b->userdata);
	}
	if (got != n->size)
		return tree_fail(
		    b->tree, -EBADMSG, "layer %u changed while it was read", n->src_layer);
	r = squashfs_writer_end_file(b->sqfs);
	if (r < 0)
		return tree_fail(b->tree, r, "writing the squashfs failed: %s", strerror(-r));
	return 0;
}

static int
stream_layer(struct build *b, struct archive *a, uint32_t layer, size_t *pos)
{
	struct archive_entry *e;
	uint64_t base = b->done;
	int r;

	for (uint64_t idx = 0; *pos < b->n_files && b->files[*pos]->src_layer == layer; idx++) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF || r < ARCHIVE_WARN)
			return tree_fail(
			    b->tree, -EBADMSG, "layer %u changed while it was read", layer);
		if (cancelled(b))
			return -ECANCELED;
		if (idx != b->files[*pos]->src_index)
			continue;
		r = stream_file(b, a, b->files[*pos], base);
		if (r < 0)
			return r;
		(*pos)++;
	}
	return 0;
}

static int
pass_stream(struct build *b)
{
	size_t pos = 0, cap = 0;
	int r;

	r = collect_files(b, b->tree->root, &cap);
	if (r < 0)
		return r;
	qsort(b->files, b->n_files, sizeof(*b->files), file_order);
	b->done = 0;
	for (uint32_t i = 0; i < b->n_layers && r == 0; i++) {
		struct layer_reader l;
		struct stat st;

		if (pos >= b->n_files || b->files[pos]->src_layer != i)
			continue; /* nothing visible comes from this layer */
		r = layer_open(b, i, &l);
		if (r < 0)
			return r;
		r = stream_layer(b, l.a, i, &pos);
		if (fstat(l.fd, &st) == 0)
			b->done += (uint64_t)st.st_size;
		layer_close(&l);
	}
	return r;
}

/* ---- the whole build ---- */

static int
select_one(struct build *b, const char *override, int initrd, struct squashfs_inode **ret)
{
	const char *what = initrd ? "initrd" : "kernel";
	const struct squashfs_dirent *d;

	if (override != NULL) {
		d = oci_tree_lookup(b->tree, override, true);
		if (d == NULL || !S_ISREG(d->inode->mode))
			return tree_fail(b->tree, -ENOENT,
			    "the %s \"%s\" is not a regular file in the image", what, override);
	} else {
		d = oci_tree_find_boot(b->tree, initrd);
		if (d == NULL)
			return tree_fail(b->tree, -ENOENT,
			    "no %s found in the image's /boot (looked for %s)", what,
			    initrd ? "initrd*, initramfs*"
			           : "uImage*, Image*, zImage*, vmlinuz*, image*");
	}
	*ret = d->inode;
	return 0;
}

/*
 * The kernel and initrd are written as they are: their declared sizes must
 * fit the free space of the kernel's file system before a byte is written.
 */
static int
space_check(struct build *b)
{
	uint64_t need = b->kernel->size + b->initrd->size, avail;
	struct statvfs vfs;

	if (fstatvfs(b->kernel_fd, &vfs) < 0)
		return 0; /* unknown: the writes will tell */
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (need <= avail)
		return 0;
	return tree_fail(b->tree, -ENOSPC,
	    "%s (the kernel and initrd take %llu bytes, %llu are free)", strerror(ENOSPC),
	    (unsigned long long)need, (unsigned long long)avail);
}

static int
build_outputs(struct build *b, int out_squashfs)
{
	int r;

	r = select_one(b, b->opts->kernel, 0, &b->kernel);
	if (r == 0)
		r = select_one(b, b->opts->initrd, 1, &b->initrd);
	if (r == 0)
		r = space_check(b);
	if (r < 0)
		return r;
	r = squashfs_writer_new(
	    out_squashfs, b->opts->compressor, SQUASHFS_WRITE_BLOCK_SIZE, &b->sqfs);
	if (r < 0)
		return tree_fail(b->tree, r, "cannot create the squashfs: %s", strerror(-r));
	r = pass_stream(b);
	if (r < 0)
		return r;
	if (b->progress != NULL)
		b->progress("write", b->total, b->total, b->userdata);
	r = squashfs_writer_finish(b->sqfs, b->tree->root, b->opts->mtime);
	if (r < 0)
		return tree_fail(b->tree, r, "writing the squashfs failed: %s", strerror(-r));
	return 0;
}

static int
build_check(struct build *b)
{
	struct stat st;

	if (b->n_layers == 0 || b->n_layers > OCI_LAYERS_MAX_LAYERS)
		return tree_fail(b->tree, -E2BIG, "an image needs 1 to %u layers, not %zu",
		    OCI_LAYERS_MAX_LAYERS, b->n_layers);
	if (squashfs_compressor_check(b->opts->compressor) < 0)
		return tree_fail(
		    b->tree, -EINVAL, "unknown squashfs compressor \"%s\"", b->opts->compressor);
	for (size_t i = 0; i < b->n_layers; i++) {
		if ((b->layers[i].opened ? fstat(b->layers[i].fd, &st)
		                         : stat(b->layers[i].path, &st)) < 0)
			return tree_fail(b->tree, -errno, "cannot open layer %zu \"%s\": %m", i,
			    b->layers[i].path);
		b->total += (uint64_t)st.st_size;
	}
	return 0;
}

static void
build_cleanup(struct build *b)
{
	/* The writer first: its threads may still point at inodes of the tree. */
	squashfs_writer_free(b->sqfs);
	free(b->files);
	free(b->buf);
	oci_tree_free(b->tree);
}

int
oci_layers_build(const struct oci_layer *layers, size_t n, const struct oci_build_opts *opts,
    int out_kernel, int out_initrd, int out_squashfs, oci_progress_fn progress, void *userdata,
    const atomic_bool *cancel, char **ret_error)
{
	static const struct oci_build_opts defaults = {0};
	struct build b = {
	    .layers = layers,
	    .n_layers = n,
	    .opts = opts != NULL ? opts : &defaults,
	    .progress = progress,
	    .userdata = userdata,
	    .cancel = cancel,
	    .kernel_fd = out_kernel,
	    .initrd_fd = out_initrd,
	    .tree = oci_tree_new(),
	    .buf = malloc(CHUNK_SIZE),
	};
	int r;

	if (b.tree == NULL || b.buf == NULL) {
		build_cleanup(&b);
		return -ENOMEM;
	}
	r = build_check(&b);
	if (r == 0)
		r = pass_scan(&b);
	if (r == 0)
		r = build_outputs(&b, out_squashfs);
	if (r < 0) {
		if (r == -ECANCELED)
			tree_fail(b.tree, r, "the import was cancelled");
		tree_fail(b.tree, r, "building the image failed: %s", strerror(-r));
		if (ret_error != NULL)
			*ret_error = TAKE_PTR(b.tree->error);
	}
	build_cleanup(&b);
	return r;
}
