/*
 * The store in temporary directories: image transactions, leftovers,
 * machines, configs and settings persisted across store_free/store_open,
 * corrupt files, and (as root) writes failing on a full tmpfs.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloud-config.h"
#include "fake-squashfs.h"
#include "store.h"
#include "test.h"

static const uint8_t mac1[MAC_LEN] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t mac2[MAC_LEN] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x01};

static char *
make_tmpdir(void)
{
	char *d = strdup("/tmp/test-store-XXXXXX");

	if (mkdtemp(d) == NULL)
		abort();
	return d;
}

static void
rm_tree(char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(dir);
}

static void
write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

static bool
exists(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* Entries named ".tmp-*" in dir/sub. */
static unsigned
count_tmp(const char *dir, const char *sub)
{
	char path[512];
	struct dirent *de;
	unsigned n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((d = opendir(path)) == NULL)
		return 999;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, ".tmp-", 5) == 0)
			n++;
	closedir(d);
	return n;
}

static void
sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[32];

	EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
	for (size_t i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* A source directory with the three files; rootfs content given. */
static char *
make_source(const char *kernel, const char *rootfs)
{
	char *d = make_tmpdir();

	write_file(d, "kernel", kernel, strlen(kernel));
	write_file(d, "initrd", "initrd-data", 11);
	if (strncmp(rootfs, "hsqs", 4) == 0) {
		uint8_t buf[256];

		write_file(d, "rootfs.squashfs", (char *)buf, fake_squashfs(rootfs + 4, buf));
	} else
		write_file(d, "rootfs.squashfs", rootfs, strlen(rootfs));
	return d;
}

static struct store *
open_store(const char *dir)
{
	struct store *s = NULL;
	char *err = NULL;
	int r = store_open(dir, &s, &err);

	if (r < 0)
		fprintf(stderr, "store_open(%s): %s: %s\n", dir, strerror(-r), err ? err : "");
	CHECK_EQ_INT(r, 0);
	free(err);
	return s;
}

struct progress {
	unsigned calls;
	uint64_t last_done, last_total;
};

static void
on_progress(const char *file, uint64_t done, uint64_t total, void *userdata)
{
	struct progress *p = userdata;

	p->calls++;
	p->last_done = done, p->last_total = total;
}

/* Add image 'name' from a fresh source dir; returns 0 or the error. */
static int
add_image(struct store *s, const char *name, const char *kernel, bool force)
{
	char *src = make_source(kernel, "hsqs-root");
	struct store_txn *t = NULL;
	char *err = NULL;
	int r = store_txn_begin(s, name, &t);

	if (r == 0)
		r = store_txn_populate_dir(t, src, NULL, NULL, NULL, &err);
	if (r == 0)
		r = store_txn_commit(t, MANIFEST_SOURCE_DIR, src, NULL, force, NULL, &err);
	store_txn_free(t);
	free(err);
	rm_tree(src);
	return r;
}

static void
test_open_cleans(void)
{
	char *dir = make_tmpdir(), path[512];
	struct store *s;

	snprintf(path, sizeof(path), "%s/images", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/images/.tmp-x-abc123", dir);
	mkdir(path, 0755);
	write_file(path, "kernel", "k", 1);
	snprintf(path, sizeof(path), "%s/configs", dir);
	mkdir(path, 0755);
	write_file(path, ".tmp-a.yaml.xyz", "x", 1);
	write_file(path, "keep.yaml", "#cloud-config\n", 14);
	write_file(dir, ".tmp-machines.json.abcdef", "{", 1);
	write_file(dir, ".hidden", "x", 1);

	s = open_store(dir);
	CHECK(exists(dir, "images") && exists(dir, "configs") && exists(dir, "tftp"));
	CHECK(!exists(dir, "images/.tmp-x-abc123"));
	CHECK(!exists(dir, "configs/.tmp-a.yaml.xyz"));
	CHECK(!exists(dir, ".tmp-machines.json.abcdef"));
	CHECK(exists(dir, ".hidden") && exists(dir, "configs/keep.yaml"));
	CHECK(store_config_exists(s, "keep"));
	CHECK(store_settings(s)->default_boot);
	store_free(s);
	rm_tree(dir);
}

static void
test_txn_commit(void)
{
	char *dir = make_tmpdir(), *src = make_source("kernel-bytes", "hsqs-rootfs"), want[65];
	struct store *s = open_store(dir);
	struct store_txn *t = NULL, *t2 = NULL;
	struct progress p = {0};
	struct manifest *m = NULL, **list = NULL;
	size_t n = 0;
	char *err = NULL;

	CHECK_EQ_INT(store_txn_begin(s, "img", &t), 0);
	CHECK_EQ_INT(store_txn_begin(s, "img", &t2), -EBUSY);
	CHECK_EQ_INT(store_txn_begin(s, "../x", &t2), -EINVAL);
	CHECK(strstr(store_txn_path(t, MANIFEST_KERNEL), "/images/.tmp-img-") != NULL);
	CHECK_EQ_INT(store_txn_populate_dir(t, src, on_progress, &p, NULL, &err), 0);
	CHECK(p.calls >= 3 && p.last_done == 103 && p.last_total == 103);
	CHECK(!store_image_exists(s, "img"));
	CHECK_EQ_INT(store_txn_commit(t, MANIFEST_SOURCE_DIR, src, "quiet", false, &m, &err), 0);
	store_txn_free(t);
	CHECK(err == NULL);
	CHECK(m != NULL && m->files[MANIFEST_KERNEL].size == 12);
	sha256_hex("kernel-bytes", 12, want);
	CHECK_EQ_STR(m->files[MANIFEST_KERNEL].sha256, want);
	manifest_free(m);
	m = NULL;

	/* Reread from disk. */
	CHECK_EQ_INT(store_image_get(s, "img", &m), 0);
	CHECK(m != NULL && m->source_type == MANIFEST_SOURCE_DIR);
	CHECK_EQ_STR(m->cmdline, "quiet");
	CHECK_EQ_STR(m->source, src);
	uint8_t sq[256];
	sha256_hex((char *)sq, fake_squashfs("-rootfs", sq), want);
	CHECK_EQ_STR(m->files[MANIFEST_ROOTFS].sha256, want);
	manifest_free(m);
	CHECK_EQ_INT(store_image_list(s, &list, &n), 0);
	CHECK_EQ_INT(n, 1);
	store_image_list_free(list, n);
	CHECK_EQ_INT(count_tmp(dir, "images"), 0);

	/* A txn for the same name is possible again, and aborting leaves nothing. */
	CHECK_EQ_INT(store_txn_begin(s, "img", &t), 0);
	CHECK(access(store_txn_path(t, MANIFEST_KERNEL), F_OK) != 0);
	char tmpdir[512];
	snprintf(tmpdir, sizeof(tmpdir), "%s", store_txn_path(t, MANIFEST_KERNEL));
	*strrchr(tmpdir, '/') = '\0';
	CHECK(access(tmpdir, F_OK) == 0);
	store_txn_free(t);
	CHECK(access(tmpdir, F_OK) != 0);

	store_free(s);
	rm_tree(src);
	rm_tree(dir);
}

static void
test_txn_checks(void)
{
	char *dir = make_tmpdir(), *err = NULL;
	char *empty = make_source("", "hsqs"), *bad = make_source("k", "ext4");
	struct store *s = open_store(dir);
	struct store_txn *t = NULL;
	atomic_bool cancel = true;

	CHECK_EQ_INT(store_txn_begin(s, "a", &t), 0);
	CHECK_EQ_INT(store_txn_populate_dir(t, empty, NULL, NULL, NULL, &err), 0);
	CHECK_EQ_INT(
	    store_txn_commit(t, MANIFEST_SOURCE_DIR, empty, NULL, false, NULL, &err), -EINVAL);
	CHECK(err != NULL && strstr(err, "kernel") != NULL);
	store_txn_free(t);
	free(err), err = NULL;

	CHECK_EQ_INT(store_txn_begin(s, "a", &t), 0);
	CHECK_EQ_INT(store_txn_populate_dir(t, bad, NULL, NULL, NULL, &err), 0);
	CHECK_EQ_INT(
	    store_txn_commit(t, MANIFEST_SOURCE_DIR, bad, NULL, false, NULL, &err), -EINVAL);
	CHECK(err != NULL && strstr(err, "squashfs") != NULL);
	store_txn_free(t);
	free(err), err = NULL;

	CHECK_EQ_INT(store_txn_begin(s, "a", &t), 0);
	CHECK_EQ_INT(store_txn_populate_dir(t, bad, NULL, NULL, &cancel, &err), -ECANCELED);
	store_txn_free(t);
	free(err), err = NULL;

	CHECK_EQ_INT(store_txn_begin(s, "a", &t), 0);
	CHECK(store_txn_populate_dir(t, "/nonexistent-dir", NULL, NULL, NULL, &err) == -ENOENT);
	CHECK(err != NULL && strstr(err, "/nonexistent-dir") != NULL);
	free(err), err = NULL;
	/* Files written directly by another producer get digested at commit. */
	write_file(dir, "images/x", "", 0);
	FILE *f;
	for (size_t i = 0; i < MANIFEST_N_FILES; i++) {
		f = fopen(store_txn_path(t, (enum manifest_file)i), "w");
		uint8_t sq[256];
		if (i == MANIFEST_ROOTFS)
			fwrite(sq, 1, fake_squashfs("XYZ", sq), f);
		else
			fputs("data", f);
		fclose(f);
	}
	struct manifest *m = NULL;
	char want[65];
	CHECK_EQ_INT(
	    store_txn_commit(t, MANIFEST_SOURCE_OCI, "quay.io/x:1", NULL, false, &m, &err), 0);
	uint8_t sq[256];
	sha256_hex((char *)sq, fake_squashfs("XYZ", sq), want);
	CHECK(m != NULL && strcmp(m->files[MANIFEST_ROOTFS].sha256, want) == 0);
	manifest_free(m);
	store_txn_free(t);

	CHECK_EQ_INT(count_tmp(dir, "images"), 0);
	store_free(s);
	rm_tree(empty);
	rm_tree(bad);
	rm_tree(dir);
}

static void
test_replace_keeps_fd(void)
{
	char *dir = make_tmpdir(), buf[32] = {0};
	struct store *s = open_store(dir);
	struct manifest *m = NULL;
	off_t size = 0;
	int fd;

	CHECK_EQ_INT(add_image(s, "img", "old-kernel", false), 0);
	fd = store_image_open(s, "img", MANIFEST_KERNEL, &size);
	CHECK(fd >= 0 && size == 10);
	CHECK_EQ_INT(add_image(s, "img", "new-kernel!", false), -EEXIST);
	CHECK_EQ_INT(add_image(s, "img", "new-kernel!", true), 0);
	CHECK(pread(fd, buf, sizeof(buf) - 1, 0) == 10);
	CHECK_EQ_STR(buf, "old-kernel");
	close(fd);
	CHECK_EQ_INT(store_image_get(s, "img", &m), 0);
	CHECK(m != NULL && m->files[MANIFEST_KERNEL].size == 11);
	manifest_free(m);

	/* Removal keeps open files readable too. */
	fd = store_image_open(s, "img", MANIFEST_KERNEL, &size);
	CHECK(fd >= 0 && size == 11);
	CHECK_EQ_INT(store_image_remove(s, "img", false, NULL), 0);
	CHECK(!store_image_exists(s, "img"));
	memset(buf, 0, sizeof(buf));
	CHECK(pread(fd, buf, sizeof(buf) - 1, 0) == 11);
	CHECK_EQ_STR(buf, "new-kernel!");
	close(fd);
	CHECK_EQ_INT(store_image_remove(s, "img", false, NULL), -ENOENT);
	CHECK_EQ_INT(store_image_open(s, "img", MANIFEST_KERNEL, &size), -ENOENT);
	CHECK_EQ_INT(store_image_open(s, "..", MANIFEST_KERNEL, &size), -ENOENT);
	store_free(s);
	rm_tree(dir);
}

static void
test_legacy_and_default(void)
{
	char *dir = make_tmpdir(), path[512], *name = NULL;
	struct store *s = open_store(dir);
	struct manifest **list = NULL;
	size_t n = 0;

	CHECK_EQ_INT(store_image_only(s, &name), -ENOENT);
	snprintf(path, sizeof(path), "%s/images/handmade", dir);
	mkdir(path, 0755);
	write_file(path, "kernel", "kk", 2);
	write_file(path, "initrd", "iii", 3);
	write_file(path, "rootfs.squashfs", "hsqs", 4);
	write_file(path, "manifest.json", "{broken", 7);
	snprintf(path, sizeof(path), "%s/images/incomplete", dir);
	mkdir(path, 0755);
	write_file(path, "kernel", "kk", 2);

	CHECK_EQ_INT(store_image_list(s, &list, &n), 0);
	CHECK_EQ_INT(n, 1);
	if (n == 1) {
		CHECK_EQ_STR(list[0]->name, "handmade");
		CHECK_EQ_INT(list[0]->source_type, MANIFEST_SOURCE_LEGACY);
		CHECK_EQ_INT(list[0]->files[MANIFEST_INITRD].size, 3);
		CHECK(!list[0]->files[MANIFEST_INITRD].has_sha256);
	}
	store_image_list_free(list, n);

	/* Two directories (one incomplete): no only image. */
	CHECK_EQ_INT(store_image_only(s, &name), -ENOENT);
	CHECK_EQ_INT(store_set_default_image(s, "nope"), -ENOENT);
	CHECK_EQ_INT(store_set_default_image(s, "handmade"), 0);
	CHECK_EQ_STR(store_settings(s)->default_image, "handmade");
	CHECK_EQ_INT(store_image_only(s, &name), -ENOENT); /* the setting is not the only image */
	CHECK_EQ_INT(store_image_users(s, "handmade"), 1);
	CHECK_EQ_INT(store_image_remove(s, "handmade", false, NULL), -EBUSY);
	CHECK_EQ_INT(store_set_default_image(s, NULL), 0);
	CHECK_EQ_INT(store_image_remove(s, "incomplete", false, NULL), 0);
	CHECK_EQ_INT(store_image_only(s, &name), 0);
	CHECK_EQ_STR(name, "handmade");
	free(name);
	store_free(s);
	rm_tree(dir);
}

/* A blob's content through store_blob_open(); NULL when it fails (r in *ret_r). */
static char *
blob_read(struct store *s, const char *hex, int *ret_r)
{
	off_t size = -1;
	int fd = store_blob_open(s, hex, &size);
	char *buf;

	*ret_r = fd < 0 ? fd : 0;
	if (fd < 0)
		return NULL;
	buf = calloc(1, (size_t)size + 1);
	CHECK(buf != NULL && read(fd, buf, (size_t)size) == size);
	close(fd);
	return buf;
}

/* store_blob_open(): digests of committed images only, the index follows changes. */
static void
test_blob_open(void)
{
	char *dir = make_tmpdir(), path[512], hex[65], upper[65], *got;
	struct store *s = open_store(dir);
	int r;

	sha256_hex("kernel-a", 8, hex);
	CHECK(store_blob_open(s, hex, &(off_t){0}) == -ENOENT);
	CHECK_EQ_INT(add_image(s, "a", "kernel-a", false), 0);
	got = blob_read(s, hex, &r);
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_STR(got ? got : "", "kernel-a");
	free(got);
	for (size_t i = 0; i < 65; i++)
		upper[i] = (char)toupper((unsigned char)hex[i]);
	got = blob_read(s, upper, &r);
	CHECK_EQ_INT(r, 0);
	free(got);
	uint8_t sq[256];
	size_t sq_len = fake_squashfs("-root", sq);
	sha256_hex((char *)sq, sq_len, hex);
	got = blob_read(s, hex, &r);
	CHECK(got != NULL && memcmp(got, sq, sq_len) == 0);
	free(got);
	/* Malformed digests. */
	CHECK_EQ_INT(store_blob_open(s, "abc", &(off_t){0}), -EINVAL);
	CHECK_EQ_INT(store_blob_open(s, "", &(off_t){0}), -EINVAL);
	hex[10] = 'g';
	CHECK_EQ_INT(store_blob_open(s, hex, &(off_t){0}), -EINVAL);
	/* A second image is seen, a removed one is gone. */
	sha256_hex("kernel-b", 8, hex);
	CHECK_EQ_INT(add_image(s, "b", "kernel-b", false), 0);
	got = blob_read(s, hex, &r);
	CHECK_EQ_STR(got ? got : "", "kernel-b");
	free(got);
	CHECK_EQ_INT(store_image_remove(s, "b", false, NULL), 0);
	CHECK_EQ_INT(store_blob_open(s, hex, &(off_t){0}), -ENOENT);
	/* A file changed by hand (another size): not served as that digest. */
	sha256_hex("kernel-a", 8, hex);
	snprintf(path, sizeof(path), "%s/images/a", dir);
	write_file(path, "kernel", "changed!!", 9);
	CHECK_EQ_INT(store_blob_open(s, hex, &(off_t){0}), -ENOENT);
	/* Legacy images have no digests; a txn is not an image. */
	snprintf(path, sizeof(path), "%s/images/handmade", dir);
	mkdir(path, 0755);
	write_file(path, "kernel", "hand-kernel", 11);
	write_file(path, "initrd", "ii", 2);
	write_file(path, "rootfs.squashfs", "hsqs", 4);
	sha256_hex("hand-kernel", 11, hex);
	CHECK_EQ_INT(store_blob_open(s, hex, &(off_t){0}), -ENOENT);
	store_free(s);
	rm_tree(dir);
}

/* Write the three files of an image into dir (placing it by hand). */
static void
write_image_files(const char *dir)
{
	write_file(dir, "kernel", "kk", 2);
	write_file(dir, "initrd", "ii", 2);
	write_file(dir, "rootfs.squashfs", "hsqs", 4);
}

static size_t
image_count(struct store *s)
{
	size_t n = 999;

	CHECK_EQ_INT(store_image_count(s, &n), 0);
	return n;
}

/* store_image_count(): after add and remove, images placed by hand, the cache. */
static void
test_image_count(void)
{
	const struct timespec old[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
	char *dir = make_tmpdir(), images[512], path[600];
	struct store *s = open_store(dir);

	snprintf(images, sizeof(images), "%s/images", dir);
	CHECK_EQ_INT(image_count(s), 0);
	CHECK_EQ_INT(add_image(s, "a", "k", false), 0);
	CHECK_EQ_INT(image_count(s), 1);
	/* Placed by hand, no manifest.json: counted; a directory lacking files is not. */
	snprintf(path, sizeof(path), "%s/handmade", images);
	mkdir(path, 0755);
	write_image_files(path);
	snprintf(path, sizeof(path), "%s/partial", images);
	mkdir(path, 0755);
	write_file(path, "kernel", "kk", 2);
	CHECK_EQ_INT(image_count(s), 2);
	/* Completed later (images/ unchanged): seen, a partial directory is never cached. */
	write_image_files(path);
	CHECK_EQ_INT(image_count(s), 3);
	/* images/ old enough: cached, a file removed inside an image is not seen... */
	CHECK_EQ_INT(utimensat(AT_FDCWD, images, old, 0), 0);
	CHECK_EQ_INT(image_count(s), 3);
	snprintf(path, sizeof(path), "%s/handmade/kernel", images);
	CHECK_EQ_INT(unlink(path), 0);
	CHECK_EQ_INT(image_count(s), 3);
	/* ...until images/ changes: removing an image. */
	CHECK_EQ_INT(store_image_remove(s, "a", false, NULL), 0);
	CHECK_EQ_INT(image_count(s), 1);
	CHECK_EQ_INT(add_image(s, "b", "k", false), 0);
	CHECK_EQ_INT(image_count(s), 2);
	store_free(s);
	rm_tree(dir);
}

static void
test_machines(void)
{
	char *dir = make_tmpdir();
	struct store *s = open_store(dir);
	struct fleet_machine m = {.image = (char *)"img",
	    .cmdline = (char *)"quiet",
	    .cmdline_mode = BOOT_CMDLINE_REPLACE};
	const struct fleet_machine *got, *all;
	size_t n, dangling = 99;

	memcpy(m.mac, mac1, MAC_LEN);
	CHECK_EQ_INT(store_machine_assign(s, &m), -ENOENT); /* no such image */
	CHECK_EQ_INT(add_image(s, "img", "k", false), 0);
	m.config = (char *)"cfg";
	CHECK_EQ_INT(store_machine_assign(s, &m), -ENOKEY); /* no such config */
	CHECK_EQ_INT(store_config_set(s, "cfg", "#cloud-config\na: 1\n", 19, NULL), 0);
	m.cmdline = (char *)"bad\nline";
	CHECK_EQ_INT(store_machine_assign(s, &m), -EINVAL);
	m.cmdline = (char *)"quiet";
	CHECK_EQ_INT(store_machine_assign(s, &m), 0);
	memcpy(m.mac, mac2, MAC_LEN);
	m.config = NULL, m.cmdline = NULL, m.cmdline_mode = BOOT_CMDLINE_APPEND;
	CHECK_EQ_INT(store_machine_assign(s, &m), 0);
	all = store_machine_list(s, &n);
	CHECK_EQ_INT(n, 2);
	CHECK(n == 2 && memcmp(all[0].mac, mac2, MAC_LEN) == 0); /* sorted */

	CHECK_EQ_INT(store_image_users(s, "img"), 2);
	CHECK_EQ_INT(store_image_remove(s, "img", false, NULL), -EBUSY);
	CHECK_EQ_INT(store_config_remove(s, "cfg"), -EBUSY);
	store_free(s);

	/* Persisted. */
	s = open_store(dir);
	got = store_machine_get(s, mac1);
	CHECK(got != NULL);
	if (got != NULL) {
		CHECK_EQ_STR(got->image, "img");
		CHECK_EQ_STR(got->config, "cfg");
		CHECK_EQ_STR(got->cmdline, "quiet");
		CHECK_EQ_INT(got->cmdline_mode, BOOT_CMDLINE_REPLACE);
	}
	got = store_machine_get(s, mac2);
	CHECK(got != NULL && got->config == NULL && got->cmdline == NULL);

	/* Forced removal keeps assignments, dangling. */
	CHECK_EQ_INT(store_image_remove(s, "img", true, &dangling), 0);
	CHECK_EQ_INT(dangling, 2);
	CHECK(store_machine_get(s, mac1) != NULL);
	CHECK_EQ_INT(store_machine_unassign(s, mac1), 0);
	CHECK_EQ_INT(store_machine_unassign(s, mac1), -ENOENT);
	CHECK_EQ_INT(store_config_remove(s, "cfg"), 0);
	CHECK_EQ_INT(store_config_remove(s, "cfg"), -ENOENT);
	store_free(s);

	s = open_store(dir);
	store_machine_list(s, &n);
	CHECK_EQ_INT(n, 1);
	CHECK(store_machine_get(s, mac1) == NULL && store_machine_get(s, mac2) != NULL);
	store_free(s);
	rm_tree(dir);
}

static void
test_configs_settings(void)
{
	char *dir = make_tmpdir(), *err = NULL, *content = NULL;
	struct store *s = open_store(dir);
	struct store_config_info *list = NULL;
	size_t n = 0, len = 0;

	CHECK_EQ_INT(store_config_set(s, "bad", "hostname: x\n", 12, &err), -EINVAL);
	CHECK(err != NULL && strstr(err, "#cloud-config") != NULL);
	free(err), err = NULL;
	CHECK_EQ_INT(store_config_set(s, "../x", "#cloud-config\n", 14, &err), -EINVAL);
	free(err), err = NULL;
	CHECK(!store_config_exists(s, "bad"));
	CHECK_EQ_INT(store_config_set(s, "b", "#cloud-config\nb: 2\n", 19, NULL), 0);
	CHECK_EQ_INT(store_config_set(s, "a", "#cloud-config\na: 1\n", 19, NULL), 0);
	CHECK_EQ_INT(store_config_set(s, "a", "#cloud-config\na: 11\n", 20, NULL), 0);
	CHECK_EQ_INT(store_set_default_config(s, "zzz"), -ENOENT);
	CHECK_EQ_INT(store_set_default_config(s, "b"), 0);
	CHECK_EQ_INT(store_set_default_boot(s, false), 0);
	CHECK_EQ_INT(store_config_remove(s, "b"), -EBUSY);
	store_free(s);

	s = open_store(dir);
	CHECK(!store_settings(s)->default_boot);
	CHECK_EQ_STR(store_settings(s)->default_config, "b");
	CHECK(store_settings(s)->default_image == NULL);
	CHECK_EQ_INT(store_config_get(s, "a", &content, &len), 0);
	CHECK_EQ_STR(content, "#cloud-config\na: 11\n");
	CHECK_EQ_INT(len, 20);
	free(content);
	CHECK_EQ_INT(store_config_get(s, "nope", &content, &len), -ENOENT);
	CHECK_EQ_INT(store_config_list(s, &list, &n), 0);
	CHECK_EQ_INT(n, 2);
	if (n == 2) {
		CHECK_EQ_STR(list[0].name, "a");
		CHECK(!list[0].is_default && list[0].size == 20);
		CHECK_EQ_STR(list[1].name, "b");
		CHECK(list[1].is_default);
	}
	free(list);
	CHECK_EQ_INT(store_set_default_config(s, NULL), 0);
	CHECK_EQ_INT(store_config_remove(s, "b"), 0);
	store_free(s);
	rm_tree(dir);
}

static void
expect_corrupt(const char *file, const char *content, const char *msg_part)
{
	char *dir = make_tmpdir(), *err = NULL;
	struct store *s = NULL;
	int r;

	write_file(dir, file, content, strlen(content));
	r = store_open(dir, &s, &err);
	CHECK_EQ_INT(r, -EBADMSG);
	CHECK(s == NULL);
	if (err == NULL || strstr(err, file) == NULL || strstr(err, msg_part) == NULL) {
		fprintf(stderr, "%s \"%s\": message \"%s\" lacks \"%s\"\n", file, content,
		    err ? err : "(null)", msg_part);
		test_failures++;
	}
	free(err);
	rm_tree(dir);
}

static void
test_corrupt(void)
{
	expect_corrupt("machines.json", "{\"machines\":[", "not valid JSON");
	expect_corrupt("machines.json", "[]", "no \"machines\" list");
	expect_corrupt("machines.json", "{\"machines\":[{\"mac\":\"zz\"}]}", "machine 1: mac");
	expect_corrupt("machines.json",
	    "{\"machines\":[{\"mac\":\"52:54:00:00:00:01\"},{\"mac\":\"52-54-00-00-00-01\"}]}",
	    "twice");
	expect_corrupt("machines.json",
	    "{\"machines\":[{\"mac\":\"52:54:00:00:00:01\",\"image\":\"../etc\"}]}", "image");
	expect_corrupt("machines.json",
	    "{\"machines\":[{\"mac\":\"52:54:00:00:00:01\",\"cmdline_mode\":\"x\"}]}",
	    "cmdline_mode");
	expect_corrupt("machines.json",
	    "{\"machines\":[],\"groups\":[{\"name\":\"g\",\"profile\":\"p\","
	    "\"match\":{\"arch\":\"x86\"}}]}",
	    "group 1: match.arch");
	expect_corrupt("machines.json",
	    "{\"machines\":[{\"mac\":\"52:54:00:00:00:01\",\"labels\":{\"Bad Key\":\"x\"}}]}",
	    "machine 1: label key");
	expect_corrupt("machines.json", "{\"machines\":[],\"profiles\":[{\"image\":\"x\"}]}",
	    "profile 1: name is missing");
	expect_corrupt(
	    "machines.json", "{\"machines\":[],\"profiles\":{}}", "no \"profiles\" list");
	expect_corrupt("machines.json",
	    "{\"machines\":[],\"profiles\":[{\"name\":\"p\",\"netconsole\":\"yes\"}]}",
	    "profile 1: netconsole is not true or false");
	expect_corrupt("machines.json",
	    "{\"machines\":[],\"groups\":[{\"name\":\"g\",\"profile\":\"nope\"}]}", "nope");
	expect_corrupt("settings.json", "nope", "not valid JSON");
	expect_corrupt("settings.json", "{\"default_boot\":\"yes\"}", "default_boot");
	expect_corrupt("settings.json", "{\"default_config\":5}", "default_config");

	/* Unknown keys are fine (forward compatibility). */
	char *dir = make_tmpdir();
	struct store *s;
	static const char mj[] =
	    "{\"machines\":[{\"mac\":\"52:54:00:00:00:01\",\"future\":1}],\"x\":2,"
	    "\"profiles\":[{\"name\":\"old\",\"action\":\"local\"}]}"; /* no netconsole */
	static const char sj[] = "{\"default_boot\":false,\"new\":[]}";
	write_file(dir, "machines.json", mj, strlen(mj));
	write_file(dir, "settings.json", sj, strlen(sj));
	s = open_store(dir);
	if (s != NULL) {
		CHECK(!store_settings(s)->default_boot);
		CHECK(store_machine_get(s, mac2) != NULL);
		CHECK(store_fleet(s)->n_profiles == 1 && !store_fleet(s)->profiles[0].netconsole);
	}
	store_free(s);
	rm_tree(dir);
}

/* Fill the filesystem of 'dir' until a write fails. */
static void
fill_up(const char *dir)
{
	char path[512], block[4096];
	int fd;

	memset(block, 'x', sizeof(block));
	snprintf(path, sizeof(path), "%s/filler", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	while (fd >= 0 && write(fd, block, sizeof(block)) > 0)
		;
	while (fd >= 0 && write(fd, block, 1) > 0)
		;
	if (fd >= 0)
		close(fd);
}

static void
test_write_failure(void)
{
	char *dir;
	struct store *s;
	struct fleet_machine m = {.cmdline = NULL};
	char big[1500];
	size_t n;

	if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("# skipping the full-filesystem test: needs root and mount namespaces\n");
		return;
	}
	dir = make_tmpdir();
	if (mount("tmpfs", dir, "tmpfs", 0, "size=256k") < 0) {
		printf("# skipping the full-filesystem test: cannot mount tmpfs\n");
		rm_tree(dir);
		return;
	}
	s = open_store(dir);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(m.mac, mac1, MAC_LEN);
	CHECK_EQ_INT(store_machine_assign(s, &m), 0);
	CHECK_EQ_INT(store_config_set(s, "c", "#cloud-config\n", 14, NULL), 0);
	fill_up(dir);

	/* Every change fails and leaves memory and disk as they were. */
	m.cmdline = big;
	memcpy(m.mac, mac2, MAC_LEN);
	CHECK_EQ_INT(store_machine_assign(s, &m), -ENOSPC);
	memcpy(m.mac, mac1, MAC_LEN);
	CHECK_EQ_INT(store_machine_assign(s, &m), -ENOSPC);
	CHECK(store_machine_get(s, mac2) == NULL);
	CHECK(store_machine_get(s, mac1) != NULL && store_machine_get(s, mac1)->cmdline == NULL);
	CHECK_EQ_INT(store_set_default_boot(s, false), -ENOSPC);
	CHECK(store_settings(s)->default_boot);
	char *doc = malloc(CLOUD_CONFIG_MAX);
	memset(doc, '#', CLOUD_CONFIG_MAX);
	memcpy(doc, "#cloud-config\n", 14);
	CHECK_EQ_INT(store_config_set(s, "c", doc, CLOUD_CONFIG_MAX, NULL), -ENOSPC);
	/* An apply writing that config fails before its commit point: nothing changes. */
	struct fleet next;
	CHECK_EQ_INT(store_fleet_copy(s, &next), 0);
	if (next.n_configs == 1) {
		doc[CLOUD_CONFIG_MAX - 1] = '\0';
		free(next.configs[0].content);
		next.configs[0].content = doc;
		next.configs[0].len = CLOUD_CONFIG_MAX - 1;
		doc = NULL;
	}
	CHECK_EQ_INT(store_fleet_apply(s, &next, NULL), -ENOSPC);
	fleet_clear(&next);
	free(doc);
	store_free(s);

	s = open_store(dir);
	store_machine_list(s, &n);
	CHECK_EQ_INT(n, 1);
	CHECK(store_settings(s)->default_boot);
	char *content = NULL;
	size_t len = 0;
	CHECK_EQ_INT(store_config_get(s, "c", &content, &len), 0);
	CHECK_EQ_INT(len, 14);
	free(content);
	store_free(s);
	CHECK_EQ_INT(count_tmp(dir, "."), 0);
	CHECK_EQ_INT(count_tmp(dir, "configs"), 0);
	umount2(dir, MNT_DETACH);
	rm_tree(dir);
}

/* ---- the fleet ---- */

static const uint8_t mac3[MAC_LEN] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0x01};

/* The bytes of dir/name, or "" when it cannot be read (malloc'd). */
static char *
slurp(const char *dir, const char *name)
{
	char path[512], *buf = calloc(1, 1 << 20);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (buf != NULL && (f = fopen(path, "r")) != NULL) {
		if (fread(buf, 1, (1 << 20) - 1, f) == 0)
			buf[0] = '\0';
		fclose(f);
	}
	return buf;
}

static void
labels_of(struct fleet_labels *l, const char *k1, const char *v1, const char *k2, const char *v2)
{
	*l = (struct fleet_labels){0};
	CHECK_EQ_INT(fleet_labels_set(l, k1, v1), 0);
	if (k2 != NULL)
		CHECK_EQ_INT(fleet_labels_set(l, k2, v2), 0);
}

/* A store with image "img", configs "cfg" and "old", profile "p" and group "g". */
static struct store *
fleet_store(const char *dir)
{
	struct store *s = open_store(dir);
	struct fleet_profile p = {.name = (char *)"p",
	    .image = (char *)"img",
	    .config = (char *)"cfg",
	    .cmdline = (char *)"console=ttyS1",
	    .action = FLEET_ACTION_LOCAL,
	    .netconsole = true};
	struct fleet_group g = {.name = (char *)"g",
	    .profile = (char *)"p",
	    .priority = 5,
	    .match = {.mac = (char *)"52:54:00:*", .arch = BOOT_ARCH_EFI_ARM64}};
	char *err = NULL;

	CHECK_EQ_INT(add_image(s, "img", "k", false), 0);
	CHECK_EQ_INT(store_config_set(s, "cfg", "#cloud-config\na: 1\n", 19, NULL), 0);
	CHECK_EQ_INT(store_config_set(s, "old", "#cloud-config\nold: 1\n", 21, NULL), 0);
	labels_of(&g.match.labels, "role", "cp", NULL, NULL);
	CHECK_EQ_INT(store_profile_set(s, &p, &err), 0);
	CHECK_EQ_INT(store_group_set(s, &g, &err), 0);
	fleet_labels_clear(&g.match.labels);
	CHECK(err == NULL);
	free(err);
	return s;
}

static void
test_fleet_persist(void)
{
	char *dir = make_tmpdir(), *err = NULL;
	struct store *s = fleet_store(dir);
	struct fleet_machine m = {.image = (char *)"img"};
	struct fleet_labels l;
	const struct fleet *f;
	const struct fleet_machine *got;

	labels_of(&l, "role", "cp", "zone", "a");
	CHECK_EQ_INT(store_machine_label(s, mac3, &l, NULL, 0, &err), 0); /* creates the entry */
	fleet_labels_clear(&l);
	memcpy(m.mac, mac1, MAC_LEN);
	CHECK_EQ_INT(store_machine_assign(s, &m), 0);
	CHECK_EQ_INT(store_image_users(s, "img"), 2);        /* machine mac1 and profile p */
	CHECK_EQ_INT(store_config_remove(s, "cfg"), -EBUSY); /* profile p */
	store_free(s);

	s = open_store(dir);
	f = store_fleet(s);
	CHECK_EQ_INT(f->n_profiles, 1);
	CHECK_EQ_INT(f->n_groups, 1);
	CHECK_EQ_INT(f->n_machines, 2);
	CHECK_EQ_INT(f->n_configs, 0);
	if (f->n_profiles == 1 && f->n_groups == 1) {
		CHECK_EQ_STR(f->profiles[0].image, "img");
		CHECK_EQ_STR(f->profiles[0].config, "cfg");
		CHECK_EQ_STR(f->profiles[0].cmdline, "console=ttyS1");
		CHECK_EQ_INT(f->profiles[0].action, FLEET_ACTION_LOCAL);
		CHECK(f->profiles[0].netconsole);
		CHECK_EQ_STR(f->groups[0].profile, "p");
		CHECK_EQ_INT(f->groups[0].priority, 5);
		CHECK_EQ_STR(f->groups[0].match.mac, "52:54:00:*");
		CHECK_EQ_INT(f->groups[0].match.arch, BOOT_ARCH_EFI_ARM64);
		CHECK_EQ_STR(fleet_labels_get(&f->groups[0].match.labels, "role"), "cp");
	}
	got = store_machine_get(s, mac3);
	CHECK(got != NULL && got->image == NULL && got->labels.n == 2);
	if (got != NULL)
		CHECK_EQ_STR(fleet_labels_get(&got->labels, "zone"), "a");
	got = store_machine_get(s, mac1);
	CHECK(got != NULL && got->labels.n == 0 && got->profile == NULL);
	if (got != NULL)
		CHECK_EQ_STR(got->image, "img");
	store_free(s);
	free(err);
	rm_tree(dir);
}

/* A refused change: its code, a message naming 'part', machines.json unchanged. */
static void
expect_refused(const char *dir, int r, int want, char **err, const char *part, const char *before)
{
	char *after = slurp(dir, "machines.json");

	CHECK_EQ_INT(r, want);
	if (part != NULL && (*err == NULL || strstr(*err, part) == NULL)) {
		fprintf(stderr, "message \"%s\" lacks \"%s\"\n", *err ? *err : "(null)", part);
		test_failures++;
	}
	CHECK(after != NULL && strcmp(after, before) == 0);
	free(after);
	free(*err);
	*err = NULL;
}

static void
test_fleet_refusals(void)
{
	char *dir = make_tmpdir(), *err = NULL, *before;
	struct store *s = fleet_store(dir);
	struct fleet_profile p = {.name = (char *)"q", .image = (char *)"nope"};
	struct fleet_group g = {.name = (char *)"h",
	    .profile = (char *)"p",
	    .priority = 5,
	    .match = {.mac = (char *)"52:54:00:*", .arch = BOOT_ARCH_EFI_ARM64}};
	struct fleet_labels l;
	const char *gone[] = {"nokey"};

	before = slurp(dir, "machines.json");
	expect_refused(dir, store_profile_set(s, &p, &err), -EINVAL, &err, "nope", before);
	p.image = NULL, p.config = (char *)"nocfg";
	expect_refused(dir, store_profile_set(s, &p, &err), -EINVAL, &err, "nocfg", before);
	CHECK(fleet_profile_find(store_fleet(s), "q") == NULL);
	g.profile = (char *)"nop";
	expect_refused(dir, store_group_set(s, &g, &err), -EINVAL, &err, "nop", before);
	g.profile = (char *)"p";
	labels_of(&g.match.labels, "role", "worker", NULL, NULL);
	CHECK_EQ_INT(store_group_set(s, &g, &err), 0); /* role=worker cannot match role=cp */
	fleet_labels_clear(&g.match.labels);
	free(before);
	before = slurp(dir, "machines.json");
	g.name = (char *)"tie";
	labels_of(&g.match.labels, "zone", "a", NULL, NULL); /* may overlap group g */
	expect_refused(dir, store_group_set(s, &g, &err), -EINVAL, &err, "tie", before);
	fleet_labels_clear(&g.match.labels);
	CHECK_EQ_INT(store_fleet(s)->n_groups, 2);
	expect_refused(dir, store_profile_remove(s, "p", &err), -EBUSY, &err, "group", before);
	expect_refused(dir, store_profile_remove(s, "x", &err), -ENOENT, &err, "x", before);
	expect_refused(dir, store_group_remove(s, "x"), -ENOENT, &err, NULL, before);
	labels_of(&l, "ok", "1", NULL, NULL);
	expect_refused(
	    dir, store_machine_label(s, mac3, &l, gone, 1, &err), -ENOENT, &err, "nokey", before);
	CHECK(store_machine_get(s, mac3) == NULL); /* not even the entry it would have made */
	fleet_labels_clear(&l);
	free(before);
	store_free(s);
	rm_tree(dir);
}

/* label and unassign: entries come and go with what they carry. */
static void
test_fleet_labels(void)
{
	char *dir = make_tmpdir(), *err = NULL;
	struct store *s = fleet_store(dir);
	struct fleet_machine m = {.image = (char *)"img"};
	struct fleet_labels l;
	const char *role[] = {"role"}, *both[] = {"role", "zone"};
	const struct fleet_machine *got;

	labels_of(&l, "role", "cp", NULL, NULL);
	CHECK_EQ_INT(store_machine_label(s, mac3, &l, NULL, 0, &err), 0);
	fleet_labels_clear(&l);
	memcpy(m.mac, mac3, MAC_LEN);
	CHECK_EQ_INT(store_machine_assign(s, &m), 0); /* keeps the labels */
	got = store_machine_get(s, mac3);
	CHECK(got != NULL && got->labels.n == 1 && got->image != NULL);
	CHECK_EQ_INT(store_machine_unassign(s, mac3), 0); /* labels left: the entry stays */
	got = store_machine_get(s, mac3);
	CHECK(got != NULL && got->labels.n == 1 && got->image == NULL);
	labels_of(&l, "zone", "b", NULL, NULL);
	CHECK_EQ_INT(store_machine_label(s, mac3, &l, role, 1, &err), 0); /* set, then remove */
	fleet_labels_clear(&l);
	got = store_machine_get(s, mac3);
	CHECK(got != NULL && got->labels.n == 1 && fleet_labels_get(&got->labels, "role") == NULL);
	CHECK_EQ_INT(store_machine_label(s, mac3, NULL, both + 1, 1, &err), 0);
	CHECK(store_machine_get(s, mac3) == NULL); /* nothing left: gone */
	CHECK_EQ_INT(store_machine_unassign(s, mac3), -ENOENT);
	store_free(s);
	s = open_store(dir);
	CHECK(store_machine_get(s, mac3) == NULL);
	store_free(s);
	free(err);
	rm_tree(dir);
}

/* The fleet of 's' with every config, p's command line set to 'cmdline'. */
static void
next_fleet(struct store *s, struct fleet *next, const char *cmdline)
{
	CHECK_EQ_INT(store_fleet_copy(s, next), 0);
	CHECK_EQ_INT(next->n_configs, 2);
	if (next->n_profiles == 1) {
		free(next->profiles[0].cmdline);
		next->profiles[0].cmdline = strdup(cmdline);
	}
}

/* Replace the content of config 'name' in f (which has it). */
static void
set_config(struct fleet *f, const char *name, const char *text)
{
	for (size_t i = 0; i < f->n_configs; i++)
		if (strcmp(f->configs[i].name, name) == 0) {
			free(f->configs[i].content);
			f->configs[i].content = strdup(text);
			f->configs[i].len = strlen(text);
		}
}

static void
expect_config(struct store *s, const char *name, const char *want)
{
	char *content = NULL;
	size_t len;

	if (want == NULL) {
		CHECK(!store_config_exists(s, name));
		return;
	}
	CHECK_EQ_INT(store_config_get(s, name, &content, &len), 0);
	CHECK_EQ_STR(content, want);
	free(content);
}

static void
test_fleet_apply(void)
{
	char *dir = make_tmpdir(), *err = NULL, *before;
	struct store *s = fleet_store(dir);
	struct fleet next;

	/* Refused (a profile names a missing image): nothing changes, configs neither. */
	next_fleet(s, &next, "new");
	set_config(&next, "cfg", "#cloud-config\nchanged: 1\n");
	free(next.profiles[0].image);
	next.profiles[0].image = strdup("missing");
	before = slurp(dir, "machines.json");
	expect_refused(dir, store_fleet_apply(s, &next, &err), -EINVAL, &err, "missing", before);
	expect_config(s, "cfg", "#cloud-config\na: 1\n");
	CHECK_EQ_INT(count_tmp(dir, "configs"), 0);
	fleet_clear(&next);
	/* A config that is not a cloud-config is refused before anything is written. */
	next_fleet(s, &next, "new");
	set_config(&next, "old", "not: a cloud-config\n");
	expect_refused(dir, store_fleet_apply(s, &next, &err), -EINVAL, &err, "old", before);
	expect_config(s, "old", "#cloud-config\nold: 1\n");
	fleet_clear(&next);
	/* The default config cannot be pruned. */
	CHECK_EQ_INT(store_set_default_config(s, "old"), 0);
	next_fleet(s, &next, "new");
	fleet_config_clear(&next.configs[1]); /* "old" */
	next.n_configs = 1;
	expect_refused(dir, store_fleet_apply(s, &next, &err), -EBUSY, &err, "old", before);
	CHECK_EQ_INT(store_set_default_config(s, NULL), 0);
	/* Applied: the profile changes, cfg is rewritten, old is pruned. */
	set_config(&next, "cfg", "#cloud-config\nchanged: 1\n");
	CHECK_EQ_INT(store_fleet_apply(s, &next, &err), 0);
	CHECK_EQ_STR(store_fleet(s)->profiles[0].cmdline, "new");
	expect_config(s, "cfg", "#cloud-config\nchanged: 1\n");
	expect_config(s, "old", NULL);
	CHECK_EQ_INT(count_tmp(dir, "configs"), 0);
	fleet_clear(&next);
	store_free(s);
	s = open_store(dir);
	CHECK_EQ_STR(store_fleet(s)->profiles[0].cmdline, "new");
	store_free(s);
	free(before);
	free(err);
	rm_tree(dir);
}

/* The commit point fails (machines.json cannot be replaced): the staged configs go. */
static void
test_fleet_apply_commit_fails(void)
{
	char *dir = make_tmpdir(), *err = NULL, path[512];
	struct store *s = fleet_store(dir);
	struct fleet next;

	next_fleet(s, &next, "new");
	set_config(&next, "cfg", "#cloud-config\nchanged: 1\n");
	snprintf(path, sizeof(path), "%s/machines.json", dir);
	CHECK_EQ_INT(unlink(path), 0);
	CHECK_EQ_INT(mkdir(path, 0755), 0);
	CHECK(store_fleet_apply(s, &next, &err) < 0);
	CHECK(err != NULL && strstr(err, "machines.json") != NULL);
	expect_config(s, "cfg", "#cloud-config\na: 1\n");
	CHECK_EQ_INT(count_tmp(dir, "configs"), 0);
	CHECK(store_fleet(s)->profiles[0].cmdline != NULL &&
	      strcmp(store_fleet(s)->profiles[0].cmdline, "new") != 0);
	fleet_clear(&next);
	store_free(s);
	free(err);
	rm_tree(dir);
}

/* machines.json of before fleets loads as it did; the next write adds the new lists. */
static void
test_fleet_old_file(void)
{
	static const char old[] =
	    "{\"machines\": [{\"mac\": \"52:54:00:12:34:56\", \"image\": \"B\", \"config\": "
	    "\"cfgB\", \"cmdline\": \"extra=1\", \"cmdline_mode\": \"append\"},\n"
	    " {\"mac\": \"52:54:00:00:00:01\", \"image\": \"gone\", \"config\": null, "
	    "\"cmdline\": null, \"cmdline_mode\": \"replace\"}]}\n";
	char *dir = make_tmpdir(), *text;
	struct store *s;
	const struct fleet_machine *got;
	struct fleet_labels l;

	write_file(dir, "machines.json", old, strlen(old));
	s = open_store(dir);
	got = store_machine_get(s, mac1);
	CHECK(got != NULL && got->labels.n == 0 && got->profile == NULL);
	if (got != NULL) {
		CHECK_EQ_STR(got->image, "B");
		CHECK_EQ_STR(got->config, "cfgB");
	}
	got = store_machine_get(s, mac2);
	CHECK(got != NULL && got->cmdline_mode == BOOT_CMDLINE_REPLACE);
	/* Dangling references (image "gone", config "cfgB") do not block other changes. */
	labels_of(&l, "role", "cp", NULL, NULL);
	CHECK_EQ_INT(store_machine_label(s, mac3, &l, NULL, 0, NULL), 0);
	fleet_labels_clear(&l);
	store_free(s);
	text = slurp(dir, "machines.json");
	CHECK(strstr(text, "\"profiles\"") != NULL && strstr(text, "\"groups\"") != NULL);
	CHECK(strstr(text, "\"labels\"") != NULL);
	free(text);
	s = open_store(dir);
	CHECK_EQ_INT(store_fleet(s)->n_machines, 3);
	store_free(s);
	rm_tree(dir);
}

TEST_MAIN(TEST(test_open_cleans), TEST(test_txn_commit), TEST(test_txn_checks),
    TEST(test_replace_keeps_fd), TEST(test_legacy_and_default), TEST(test_image_count),
    TEST(test_blob_open), TEST(test_machines), TEST(test_configs_settings), TEST(test_corrupt),
    TEST(test_write_failure), TEST(test_fleet_persist), TEST(test_fleet_refusals),
    TEST(test_fleet_labels), TEST(test_fleet_apply), TEST(test_fleet_apply_commit_fails),
    TEST(test_fleet_old_file))
