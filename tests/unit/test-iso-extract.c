/*
 * lib/iso-extract: the candidate choice and link resolution on synthetic
 * listings, and the error paths that need no ISO.  Real ISOs made with
 * xorriso are in tests/integration/test-extract-iso.sh and the fuzz corpus.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iso-extract.h"
#include "test.h"
#include "util.h"

#define REG(n, sz)                                                                                 \
	{                                                                                          \
		.name = (char *)(n), .size = (sz)                                                  \
	}
#define SYM(n, t)                                                                                  \
	{                                                                                          \
		.name = (char *)(n), .link = (char *)(t), .is_symlink = true                       \
	}
#define HARD(n, t)                                                                                 \
	{                                                                                          \
		.name = (char *)(n), .link = (char *)(t)                                           \
	}

static const char *
pick(const struct iso_entry *e, size_t n, enum manifest_file f, const char *ov, const char **data)
{
	const struct iso_entry *t = NULL, *d = NULL;

	if (iso_pick(e, n, f, ov, &t, &d) < 0)
		return NULL;
	if (data != NULL)
		*data = d->name;
	return t->name;
}

static void
test_kairos(void)
{
	static const struct iso_entry e[] = {REG("EFI/BOOT/bootx64.efi", 1), REG("boot/initrd", 2),
	    REG("boot/kernel", 3), REG("rootfs.squashfs", 4), REG("boot/vmlinuz", 5)};

	CHECK_EQ_STR(pick(e, 5, MANIFEST_KERNEL, NULL, NULL), "boot/kernel");
	CHECK_EQ_STR(pick(e, 5, MANIFEST_INITRD, NULL, NULL), "boot/initrd");
	CHECK_EQ_STR(pick(e, 5, MANIFEST_ROOTFS, NULL, NULL), "rootfs.squashfs");
	CHECK_EQ_STR(pick(e, 5, MANIFEST_KERNEL, "/boot/vmlinuz", NULL), "boot/vmlinuz");
	CHECK_EQ_STR(pick(e, 5, MANIFEST_KERNEL, "./BOOT/VMLINUZ", NULL), "boot/vmlinuz");
	CHECK(pick(e, 5, MANIFEST_KERNEL, "/boot/none", NULL) == NULL);
	CHECK(pick(e, 5, MANIFEST_KERNEL, "/", NULL) == NULL);
	CHECK(pick(e, 0, MANIFEST_KERNEL, NULL, NULL) == NULL);
}

static void
test_versions(void)
{
	static const struct iso_entry e[] = {REG("live/vmlinuz-6.1.0-9-amd64", 1),
	    REG("live/vmlinuz-6.1.0-10-amd64", 1), REG("live/initrd.img-6.1.0-9-amd64", 1),
	    REG("live/filesystem.squashfs", 1), REG("other.squashfs", 1)};

	CHECK_EQ_STR(pick(e, 5, MANIFEST_KERNEL, NULL, NULL), "live/vmlinuz-6.1.0-10-amd64");
	CHECK_EQ_STR(pick(e, 5, MANIFEST_INITRD, NULL, NULL), "live/initrd.img-6.1.0-9-amd64");
	CHECK_EQ_STR(pick(e, 5, MANIFEST_ROOTFS, NULL, NULL), "live/filesystem.squashfs");
}

static void
test_case_and_depth(void)
{
	/* plain ISO 9660 names are upper case; "*" does not cross "/" */
	static const struct iso_entry e[] = {REG("CASPER/VMLINUZ", 1), REG("CASPER/INITRD", 1),
	    REG("a/b/deep.squashfs", 1), REG("x/fs.squashfs", 1)};

	CHECK_EQ_STR(pick(e, 4, MANIFEST_KERNEL, NULL, NULL), "CASPER/VMLINUZ");
	CHECK_EQ_STR(pick(e, 4, MANIFEST_INITRD, NULL, NULL), "CASPER/INITRD");
	CHECK_EQ_STR(pick(e, 4, MANIFEST_ROOTFS, NULL, NULL), "x/fs.squashfs");
	CHECK(pick(e, 3, MANIFEST_ROOTFS, NULL, NULL) == NULL);
}

static void
test_links(void)
{
	static const struct iso_entry e[] = {REG("boot/vmlinuz-6.6", 1),
	    SYM("boot/kernel", "vmlinuz-6.6"), SYM("boot/initrd", "../boot/./initrd-6.6"),
	    REG("boot/initrd-6.6", 1), HARD("rootfs.squashfs", "img/root.sq"),
	    REG("img/root.sq", 1), SYM("loop1", "loop2"), SYM("loop2", "/loop1"),
	    SYM("escape", "../../etc/passwd"), SYM("abs", "/boot/initrd"),
	    SYM("dangling", "nowhere")};
	const size_t n = ELEMENTSOF(e);
	const char *data = NULL;

	CHECK_EQ_STR(pick(e, n, MANIFEST_KERNEL, NULL, &data), "boot/kernel");
	CHECK_EQ_STR(data, "boot/vmlinuz-6.6");
	CHECK_EQ_STR(pick(e, n, MANIFEST_INITRD, NULL, &data), "boot/initrd");
	CHECK_EQ_STR(data, "boot/initrd-6.6");
	CHECK_EQ_STR(pick(e, n, MANIFEST_ROOTFS, NULL, &data), "rootfs.squashfs");
	CHECK_EQ_STR(data, "img/root.sq");
	CHECK_EQ_STR(pick(e, n, MANIFEST_INITRD, "abs", &data), "abs");
	CHECK_EQ_STR(data, "boot/initrd-6.6");

	const struct iso_entry *t, *d;
	CHECK_EQ_INT(iso_pick(e, n, MANIFEST_KERNEL, "loop1", &t, &d), -ELOOP);
	CHECK_EQ_INT(iso_pick(e, n, MANIFEST_KERNEL, "escape", &t, &d), -ELOOP);
	CHECK_EQ_INT(iso_pick(e, n, MANIFEST_KERNEL, "dangling", &t, &d), -ENOENT);
	CHECK_EQ_INT(iso_pick(e, n, MANIFEST_N_FILES, NULL, &t, &d), -EINVAL);
}

static void
test_dangling_candidate_skipped(void)
{
	/* a dangling /boot/kernel link falls through to /boot/vmlinuz */
	static const struct iso_entry e[] = {SYM("boot/kernel", "gone"), REG("boot/vmlinuz", 1)};

	CHECK_EQ_STR(pick(e, 2, MANIFEST_KERNEL, NULL, NULL), "boot/vmlinuz");
}

static void
test_not_an_iso(void)
{
	char dir[] = "/tmp/test-iso-extract.XXXXXX", k[64], i[64], r[64];
	struct iso_extract_params p = {.dest = {k, i, r}};
	struct iso_extract_result res = {.size = {42}};
	char *error = NULL;
	int fd = memfd_create("not-an-iso", MFD_CLOEXEC);

	CHECK(fd >= 0 && mkdtemp(dir) != NULL);
	CHECK(write(fd, "hello, world", 12) == 12);
	snprintf(k, sizeof(k), "%s/k", dir);
	snprintf(i, sizeof(i), "%s/i", dir);
	snprintf(r, sizeof(r), "%s/r", dir);
	CHECK_EQ_INT(iso_extract_fd(fd, "mem", &p, &res, &error), -EBADMSG);
	CHECK(error != NULL && strstr(error, "\"mem\" is not a readable ISO 9660 image") != NULL);
	CHECK_EQ_INT(res.size[0], 42); /* untouched */
	CHECK(rmdir(dir) == 0);        /* empty: nothing left behind */
	free(error);
	error = NULL;
	CHECK_EQ_INT(iso_extract("/nonexistent/x.iso", &p, &res, &error), -ENOENT);
	CHECK(error != NULL && strstr(error, "Cannot open") != NULL);
	free(error);
	close(fd);
}

static void
test_candidates_documented_order(void)
{
	CHECK_EQ_STR(iso_candidates[MANIFEST_KERNEL][0], "boot/kernel");
	CHECK_EQ_STR(iso_candidates[MANIFEST_INITRD][0], "boot/initrd");
	CHECK_EQ_STR(iso_candidates[MANIFEST_ROOTFS][0], "rootfs.squashfs");
}

int
main(void)
{
	static const struct test_case tests[] = {TEST(test_kairos), TEST(test_versions),
	    TEST(test_case_and_depth), TEST(test_links), TEST(test_dangling_candidate_skipped),
	    TEST(test_not_an_iso), TEST(test_candidates_documented_order)};

	return test_run(tests, ELEMENTSOF(tests));
}
