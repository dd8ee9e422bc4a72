/*
 * oci-layers: path normalisation, layer type detection, and the pass-1 tree
 * (whiteouts, opaque directories, hard links, contained symlink resolution,
 * /boot selection) over tars built in memory with libarchive.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oci-layers.h"
#include "test.h"

struct ent {
	char kind; /* d dir, f file, l symlink, h hard link */
	const char *path;
	const char *arg; /* file data, symlink or hard link target */
};

static size_t
tar_build(const struct ent *e, size_t n, void *buf, size_t cap)
{
	struct archive *a = archive_write_new();
	size_t used = 0;

	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	archive_write_open_memory(a, buf, cap, &used);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		size_t len = e[i].kind == 'f' && e[i].arg ? strlen(e[i].arg) : 0;

		archive_entry_set_pathname(ae, e[i].path);
		archive_entry_set_perm(ae, e[i].kind == 'd' ? 0755 : 0644);
		archive_entry_set_filetype(ae, e[i].kind == 'd'   ? AE_IFDIR
		                               : e[i].kind == 'l' ? AE_IFLNK
		                                                  : AE_IFREG);
		if (e[i].kind == 'l')
			archive_entry_set_symlink(ae, e[i].arg);
		if (e[i].kind == 'h')
			archive_entry_set_hardlink(ae, e[i].arg);
		archive_entry_set_size(ae, (la_int64_t)len);
		archive_write_header(a, ae);
		if (len > 0)
			archive_write_data(a, e[i].arg, len);
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
	return used;
}

static uint8_t tarbuf[1 << 20];

static int
add(struct oci_tree *t, uint32_t layer, const struct ent *e, size_t n, char **ret_error)
{
	size_t len = tar_build(e, n, tarbuf, sizeof(tarbuf));

	return oci_tree_add_layer_memory(t, layer, tarbuf, len, ret_error);
}

#define ADD(t, layer, ...)                                                                         \
	({                                                                                         \
		static const struct ent _e[] = {__VA_ARGS__};                                      \
		char *_err = NULL;                                                                 \
		int _r = add((t), (layer), _e, sizeof(_e) / sizeof(_e[0]), &_err);                 \
		free(_err);                                                                        \
		_r;                                                                                \
	})

static void
test_normalize(void)
{
	char out[OCI_LAYERS_MAX_PATH + 1];

	CHECK_EQ_INT(oci_path_normalize("./a//b/./c/", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "a/b/c");
	CHECK_EQ_INT(oci_path_normalize("/etc/passwd", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "etc/passwd");
	CHECK_EQ_INT(oci_path_normalize("./", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "");
	CHECK_EQ_INT(oci_path_normalize("a/../b", out, sizeof(out)), -EBADMSG);
	CHECK_EQ_INT(oci_path_normalize("..", out, sizeof(out)), -EBADMSG);
	CHECK_EQ_INT(oci_path_normalize("a/..b", out, sizeof(out)), 0);
	CHECK_EQ_INT(oci_path_normalize("abcdef", out, 4), -ENAMETOOLONG);
}

static void
test_detect(void)
{
	static const uint8_t gz[] = {0x1f, 0x8b, 8, 0}, zs[] = {0x28, 0xb5, 0x2f, 0xfd};

	CHECK_EQ_INT(
	    oci_layer_compression_from_media_type("application/vnd.oci.image.layer.v1.tar"),
	    OCI_LAYER_TAR);
	CHECK_EQ_INT(
	    oci_layer_compression_from_media_type("application/vnd.oci.image.layer.v1.tar+gzip"),
	    OCI_LAYER_GZIP);
	CHECK_EQ_INT(
	    oci_layer_compression_from_media_type("application/vnd.oci.image.layer.v1.tar+zstd"),
	    OCI_LAYER_ZSTD);
	CHECK_EQ_INT(oci_layer_compression_from_media_type(
	                 "application/vnd.docker.image.rootfs.diff.tar.gzip"),
	    OCI_LAYER_GZIP);
	CHECK_EQ_INT(
	    oci_layer_compression_from_media_type("application/vnd.oci.image.config.v1+json"),
	    -EPROTONOSUPPORT);
	CHECK_EQ_INT(oci_layer_compression_from_magic(gz, sizeof(gz)), OCI_LAYER_GZIP);
	CHECK_EQ_INT(oci_layer_compression_from_magic(zs, sizeof(zs)), OCI_LAYER_ZSTD);
	CHECK_EQ_INT(oci_layer_compression_from_magic(zs, 1), OCI_LAYER_TAR);
}

static void
test_whiteouts(void)
{
	struct oci_tree *t = oci_tree_new();
	const struct squashfs_dirent *d;

	CHECK_EQ_INT(ADD(t, 0, {'d', "etc/", NULL}, {'f', "etc/a", "A"}, {'f', "etc/b", "B"},
	                 {'d', "o/", NULL}, {'f', "o/old", "x"}, {'d', "o/sub/", NULL},
	                 {'f', "o/sub/deep", "y"}),
	    0);
	CHECK_EQ_INT(
	    ADD(t, 1, {'f', "etc/.wh.a", NULL}, {'d', "o/sub/", NULL}, {'f', "o/sub/new", "n"},
	        {'f', "o/.wh..wh..opq", NULL}, {'f', "o/new", "n"}),
	    0);
	CHECK(oci_tree_lookup(t, "etc/a", 0) == NULL);
	CHECK(oci_tree_lookup(t, "etc/b", 0) != NULL);
	CHECK(oci_tree_lookup(t, "o/old", 0) == NULL);
	CHECK(oci_tree_lookup(t, "o/sub/deep", 0) == NULL);
	CHECK(oci_tree_lookup(t, "o/sub/new", 0) != NULL);
	d = oci_tree_lookup(t, "o/new", 0);
	CHECK(d != NULL && S_ISREG(d->inode->mode) && d->inode->src_layer == 1);
	/* root, etc, etc/b, o, o/sub, o/sub/new, o/new */
	CHECK_EQ_INT((int)oci_tree_entries(t), 7);
	oci_tree_free(t);
}

static void
test_hardlinks(void)
{
	struct oci_tree *t = oci_tree_new();
	const struct squashfs_dirent *a, *b;

	CHECK_EQ_INT(ADD(t, 0, {'f', "a", "data"}, {'h', "b", "a"}, {'h', "c", "./a"}), 0);
	a = oci_tree_lookup(t, "a", 0);
	b = oci_tree_lookup(t, "b", 0);
	CHECK(a != NULL && b != NULL && a->inode == b->inode && a->inode->nlink == 3);
	CHECK_EQ_INT(ADD(t, 1, {'f', ".wh.c", NULL}, {'f', "a", "new"}), 0);
	b = oci_tree_lookup(t, "b", 0);
	CHECK(b != NULL && b->inode->nlink == 1 && b->inode->src_layer == 0);
	CHECK_EQ_INT(ADD(t, 2, {'h', "x", "../a"}), -EBADMSG);
	CHECK_EQ_INT(ADD(t, 2, {'h', "x", "missing"}), -EBADMSG);
	CHECK_EQ_INT(ADD(t, 2, {'d', "dir/", NULL}, {'h', "x", "dir"}), -EBADMSG);
	oci_tree_free(t);
}

static void
test_escapes(void)
{
	struct oci_tree *t = oci_tree_new();
	const struct squashfs_dirent *d;

	CHECK_EQ_INT(ADD(t, 0, {'f', "a/../../x", "x"}), -EBADMSG);
	CHECK_EQ_INT(ADD(t, 0, {'l', "up", "../../../../"}, {'f', "up/x", "x"},
	                 {'l', "abs", "/../etc"}, {'f', "abs/y", "y"}),
	    0);
	/* Both resolve inside the image: the root and /etc. */
	CHECK(oci_tree_lookup(t, "x", 0) != NULL);
	d = oci_tree_lookup(t, "etc/y", 0);
	CHECK(d != NULL && S_ISREG(d->inode->mode));
	CHECK_EQ_INT(ADD(t, 1, {'l', "l1", "l2"}, {'l', "l2", "l1"}, {'f', "l1/z", "z"}), -ELOOP);
	oci_tree_free(t);
}

static void
test_boot(void)
{
	struct oci_tree *t = oci_tree_new();
	const struct squashfs_dirent *k, *i;

	CHECK_EQ_INT(ADD(t, 0, {'f', "boot/vmlinuz-6", "K"}, {'l', "boot/vmlinuz", "vmlinuz-6"},
	                 {'l', "boot/initrd", "/boot/../boot/initrd-6"},
	                 {'f', "boot/initrd-6", "I"}, {'l', "boot/Image-dangling", "nope"}),
	    0);
	k = oci_tree_find_boot(t, 0);
	i = oci_tree_find_boot(t, 1);
	CHECK(k != NULL && strcmp(k->name, "vmlinuz-6") == 0);
	CHECK(i != NULL && strcmp(i->name, "initrd-6") == 0);
	/* Image* comes before vmlinuz* in AuroraBoot's order. */
	CHECK_EQ_INT(ADD(t, 1, {'f', "boot/Image", "I"}), 0);
	k = oci_tree_find_boot(t, 0);
	CHECK(k != NULL && strcmp(k->name, "Image") == 0);
	CHECK_EQ_INT(
	    ADD(t, 2, {'f', "boot/.wh.Image", NULL}, {'f', "boot/.wh.vmlinuz-6", NULL}), 0);
	k = oci_tree_find_boot(t, 0);
	CHECK(k == NULL);
	oci_tree_free(t);
}

static void
test_bad_tar(void)
{
	struct oci_tree *t = oci_tree_new();
	char *err = NULL;

	CHECK_EQ_INT(oci_tree_add_layer_memory(t, 0, "garbage garbage", 15, &err), -EBADMSG);
	CHECK(err != NULL && strstr(err, "not a valid tar") != NULL);
	free(err);
	oci_tree_free(t);
}

TEST_MAIN(TEST(test_normalize), TEST(test_detect), TEST(test_whiteouts), TEST(test_hardlinks),
    TEST(test_escapes), TEST(test_boot), TEST(test_bad_tar))
