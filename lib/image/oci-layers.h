/*
 * Flattening OCI image layers straight into a squashfs, plus the kernel and
 * initrd taken from the image's /boot.
 *
 * Two passes over the layer files, no unpacked rootfs on disk:
 *   1. headers only, bottom layer first: an in-memory tree of the visible
 *      entries, with OCI whiteouts (.wh.NAME, .wh..wh..opq) and hard links
 *      applied; each regular file remembers which layer entry holds its data;
 *   2. each layer again, in order: the data of the visible regular files goes
 *      into the squashfs writer (and into the kernel/initrd outputs).
 * No path escapes the image root: ".." components and hard links to missing
 * paths are refused; leading "/" and "./" are stripped; symlinks are stored
 * as they are and, when this code follows them (parent directories, /boot),
 * resolved against the image root.
 */
#ifndef NETBOOTD_OCI_LAYERS_H
#define NETBOOTD_OCI_LAYERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "squashfs-write.h"

#define OCI_LAYERS_MAX_ENTRIES (2u * 1000 * 1000)
#define OCI_LAYERS_MAX_PATH    4096
#define OCI_LAYERS_MAX_NAME    255
#define OCI_LAYERS_MAX_LAYERS  256
#define OCI_LAYERS_MAX_XATTRS  64    /* per entry */
#define OCI_LAYERS_MAX_XATTR   65536 /* value bytes */

enum oci_layer_compression {
	OCI_LAYER_TAR,
	OCI_LAYER_GZIP,
	OCI_LAYER_ZSTD,
};

struct oci_layer {
	const char *path;       /* layer blob on disk (with 'opened': its name in messages) */
	const char *media_type; /* NULL: detect by magic bytes */
	bool opened;            /* fd is the blob, open: read from offset 0 on each pass */
	int fd;                 /* with 'opened' (the caller's): never reopened by name */
};

struct oci_build_opts {
	const char *compressor; /* "gzip" (NULL), "zstd", "xz" */
	const char *kernel;     /* path inside the image; NULL: from /boot */
	const char *initrd;     /* path inside the image; NULL: from /boot */
	uint32_t mtime;         /* squashfs creation time; 0: now */
	uint64_t max_size;      /* cap on the layers' uncompressed bytes (-EFBIG); 0: none */
};

/* phase is "scan" (pass 1: the layers' headers) or "write" (pass 2: the squashfs); bytes of layer blobs. */
typedef void (*oci_progress_fn)(const char *phase, uint64_t done, uint64_t total, void *userdata);

/*
 * Writes the kernel, initrd and squashfs through the descriptors given (empty
 * files opened for writing; they stay the caller's, who removes the files on
 * failure): never by name.
 */
int oci_layers_build(const struct oci_layer *layers, size_t n, const struct oci_build_opts *opts,
    int out_kernel, int out_initrd, int out_squashfs, oci_progress_fn progress, void *userdata,
    const atomic_bool *cancel, char **ret_error);

/* Media type to compression; -EPROTONOSUPPORT for non-layer types. */
int oci_layer_compression_from_media_type(const char *media_type);
/* Magic bytes to compression (tar when neither gzip nor zstd). */
enum oci_layer_compression oci_layer_compression_from_magic(const uint8_t *p, size_t n);

/*
 * "a/./b//c" -> "a/b/c"; leading "/" and "./" dropped; "" is the root.
 * -EBADMSG for "..", -ENAMETOOLONG beyond the caps.
 */
int oci_path_normalize(const char *in, char *out, size_t out_size);

/* The pass-1 tree, exposed for tests and the fuzzer. */
struct oci_tree;
struct oci_tree *oci_tree_new(void);
void oci_tree_free(struct oci_tree *t);
int oci_tree_add_layer_memory(
    struct oci_tree *t, uint32_t layer, const void *data, size_t size, char **ret_error);
/* Looks a path up; follow_last resolves a final symlink (inside the root). */
const struct squashfs_dirent *oci_tree_lookup(
    struct oci_tree *t, const char *path, int follow_last);
size_t oci_tree_entries(const struct oci_tree *t);
/* AuroraBoot's choice from /boot: the first of the prefixes, name order. */
const struct squashfs_dirent *oci_tree_find_boot(struct oci_tree *t, int initrd);

#endif
