/*
 * Helper for tests/integration/test-store-crash.sh: change the store in a
 * loop until killed, or check what a killed loop left behind.
 *
 *   store-crash-helper image STATE      replace image "img" again and again
 *                                       (generation N in its cmdline "gen-N")
 *   store-crash-helper machines STATE   rewrite machines.json again and again
 *                                       (generation N in a machine's cmdline)
 *   store-crash-helper fleet STATE      apply a fleet again and again: profile
 *                                       "p" with cmdline "gen-N" and config "c"
 *                                       with content "gen: N" (store_fleet_apply)
 *   store-crash-helper check-image STATE / check-machines STATE / check-fleet STATE
 *                                       store_open(), verify, print generation
 *
 * For the fleet, the one window store.h documents is allowed: config "c"
 * may be one generation behind the profile (a crash after the commit point,
 * before the config was renamed into place), never ahead.
 *
 * The loops print each generation once it is committed (and first the one
 * found at start), so the script knows the last completed one; a check must
 * then find that one or the next, complete and consistent.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake-squashfs.h"
#include "store.h"

#define ROOTFS_SIZE (3 * 1024 * 1024)

static const uint8_t mac[MAC_LEN] = {0x52, 0x54, 0x00, 0xc0, 0xff, 0xee};

static struct store *
open_or_die(const char *dir)
{
	struct store *s = NULL;
	char *err = NULL;
	int r = store_open(dir, &s, &err);

	if (r < 0) {
		fprintf(
		    stderr, "store_open(%s) failed: %s: %s\n", dir, strerror(-r), err ? err : "");
		exit(1);
	}
	return s;
}

static long
gen_of(const char *cmdline)
{
	return cmdline != NULL && strncmp(cmdline, "gen-", 4) == 0 ? atol(cmdline + 4) : -1;
}

static void
write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Sources for generation 'gen': every file's content depends on it. */
static void
make_source(const char *src, long gen, unsigned char *rootfs)
{
	char text[64];
	int n = snprintf(text, sizeof(text), "kernel-gen-%ld", gen);

	write_file(src, "kernel", text, (size_t)n);
	n = snprintf(text, sizeof(text), "initrd-gen-%ld", gen);
	write_file(src, "initrd", text, (size_t)n);
	fake_squashfs_super(rootfs, ROOTFS_SIZE);
	for (size_t i = 4096; i < ROOTFS_SIZE; i += 4096)
		rootfs[i] = (unsigned char)(gen + (long)i);
	write_file(src, "rootfs.squashfs", rootfs, ROOTFS_SIZE);
}

static long
image_gen(struct store *s)
{
	struct manifest *m = NULL;
	long g = -1;

	if (store_image_get(s, "img", &m) == 0)
		g = gen_of(m->cmdline);
	manifest_free(m);
	return g;
}

static int
loop_image(const char *dir)
{
	struct store *s = open_or_die(dir);
	unsigned char *rootfs = calloc(1, ROOTFS_SIZE);
	char src[512], cmdline[32];
	long gen = image_gen(s);

	snprintf(src, sizeof(src), "%s.src", dir);
	mkdir(src, 0755);
	printf("%ld\n", gen);
	fflush(stdout);
	for (;;) {
		struct store_txn *t = NULL;
		char *err = NULL;

		gen++;
		make_source(src, gen, rootfs);
		snprintf(cmdline, sizeof(cmdline), "gen-%ld", gen);
		if (store_txn_begin(s, "img", &t) < 0 ||
		    store_txn_populate_dir(t, src, NULL, NULL, NULL, &err) < 0 ||
		    store_txn_commit(t, MANIFEST_SOURCE_DIR, src, cmdline, true, NULL, &err) < 0) {
			fprintf(stderr, "image generation %ld failed: %s\n", gen, err ? err : "");
			return 1;
		}
		store_txn_free(t);
		printf("%ld\n", gen);
		fflush(stdout);
	}
}

static int
loop_machines(const char *dir)
{
	struct store *s = open_or_die(dir);
	const struct fleet_machine *cur = store_machine_get(s, mac);
	long gen = cur != NULL ? gen_of(cur->cmdline) : -1;
	char cmdline[32];

	printf("%ld\n", gen);
	fflush(stdout);
	for (;;) {
		struct fleet_machine m = {.cmdline = cmdline};
		int r;

		gen++;
		/* A few other machines come and go to vary the file's size. */
		memcpy(m.mac, mac, MAC_LEN);
		m.mac[5] = (uint8_t)(gen % 7);
		snprintf(cmdline, sizeof(cmdline), "other-%ld", gen);
		if (gen % 3 == 0)
			r = store_machine_unassign(s, m.mac);
		else
			r = store_machine_assign(s, &m);
		if (r < 0 && r != -ENOENT)
			return 1;
		memcpy(m.mac, mac, MAC_LEN);
		snprintf(cmdline, sizeof(cmdline), "gen-%ld", gen);
		if ((r = store_machine_assign(s, &m)) < 0) {
			fprintf(stderr, "machines generation %ld failed: %s\n", gen, strerror(-r));
			return 1;
		}
		printf("%ld\n", gen);
		fflush(stdout);
	}
}

static int
check_digest(const char *path, const struct manifest_file_info *f)
{
	static unsigned char buf[65536];
	unsigned char md[32];
	char hex[65];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint64_t size = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		size += (uint64_t)n;
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	if (fd < 0 || size != f->size || strcmp(hex, f->sha256) != 0) {
		fprintf(stderr, "%s does not match its manifest\n", path);
		return -1;
	}
	return 0;
}

/* No ".tmp-*" left in dir/sub after store_open(). */
static int
check_clean(const char *dir, const char *sub)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	int r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, ".tmp-", 5) == 0) {
			fprintf(stderr, "leftover %s/%s\n", path, de->d_name);
			r = -1;
		}
	closedir(d);
	return r;
}

static int
check_image(const char *dir)
{
	struct store *s = open_or_die(dir);
	struct manifest **list = NULL;
	size_t n = 0;
	char path[1024];
	int bad = check_clean(dir, ".") < 0 || check_clean(dir, "images") < 0;

	if (store_image_list(s, &list, &n) < 0 || n > 1)
		bad = 1;
	for (size_t i = 0; i < n; i++) {
		if (list[i]->source_type == MANIFEST_SOURCE_LEGACY) {
			fprintf(stderr, "image without a valid manifest\n");
			bad = 1;
			continue;
		}
		for (size_t f = 0; f < MANIFEST_N_FILES; f++) {
			snprintf(
			    path, sizeof(path), "%s/images/img/%s", dir, manifest_file_names[f]);
			if (check_digest(path, &list[i]->files[f]) < 0)
				bad = 1;
		}
	}
	printf("%ld\n", n == 1 ? gen_of(list[0]->cmdline) : -1L);
	store_image_list_free(list, n);
	store_free(s);
	return bad;
}

static int
check_machines(const char *dir)
{
	struct store *s = open_or_die(dir);
	const struct fleet_machine *m = store_machine_get(s, mac);
	int bad = check_clean(dir, ".") < 0;

	printf("%ld\n", m != NULL ? gen_of(m->cmdline) : -1L);
	store_free(s);
	return bad;
}

/* The generation of config "c" ("#cloud-config\ngen: N\n"), -1 if none. */
static long
config_gen(struct store *s)
{
	char *text = NULL;
	size_t len;
	long g = -1;

	if (store_config_get(s, "c", &text, &len) == 0 &&
	    strncmp(text, "#cloud-config\ngen: ", 19) == 0)
		g = atol(text + 19);
	free(text);
	return g;
}

static long
fleet_gen(struct store *s)
{
	const struct fleet *f = store_fleet(s);

	return f->n_profiles == 1 ? gen_of(f->profiles[0].cmdline) : -1;
}

/* The fleet of generation 'gen': profile p and config c, and 0-2 other configs. */
static void
fleet_of(long gen, struct fleet *f, char cmdline[32], char text[3][64])
{
	static const char *const names[3] = {"c", "o1", "o2"};
	static struct fleet_profile p = {.name = (char *)"p", .config = (char *)"c"};
	static struct fleet_config c[3];
	size_t n = 1 + (size_t)(gen % 3);

	snprintf(cmdline, 32, "gen-%ld", gen);
	p.cmdline = cmdline;
	for (size_t i = 0; i < n; i++) {
		snprintf(text[i], 64, "#cloud-config\ngen: %ld\n", gen);
		c[i] = (struct fleet_config){
		    .name = (char *)names[i], .content = text[i], .len = strlen(text[i])};
	}
	*f = (struct fleet){.profiles = &p, .n_profiles = 1, .configs = c, .n_configs = n};
}

static int
loop_fleet(const char *dir)
{
	struct store *s = open_or_die(dir);
	long gen = fleet_gen(s);
	char cmdline[32], text[3][64];

	printf("%ld\n", gen);
	fflush(stdout);
	for (;;) {
		struct fleet f;
		char *err = NULL;

		gen++;
		fleet_of(gen, &f, cmdline, text);
		if (store_fleet_apply(s, &f, &err) < 0) {
			fprintf(stderr, "fleet generation %ld failed: %s\n", gen, err ? err : "");
			return 1;
		}
		printf("%ld\n", gen);
		fflush(stdout);
	}
}

static int
check_fleet(const char *dir)
{
	struct store *s = open_or_die(dir);
	long g = fleet_gen(s), c = config_gen(s);
	int bad = check_clean(dir, ".") < 0 || check_clean(dir, "configs") < 0;

	if (g >= 0 && c != g && c != g - 1) {
		fprintf(stderr, "config c is generation %ld, the fleet %ld\n", c, g);
		bad = 1;
	}
	printf("%ld\n", g);
	store_free(s);
	return bad;
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr,
		    "usage: %s image|machines|fleet|check-image|check-machines|check-fleet STATE\n",
		    argv[0]);
		return 2;
	}
	if (strcmp(argv[1], "image") == 0)
		return loop_image(argv[2]);
	if (strcmp(argv[1], "machines") == 0)
		return loop_machines(argv[2]);
	if (strcmp(argv[1], "check-image") == 0)
		return check_image(argv[2]);
	if (strcmp(argv[1], "check-machines") == 0)
		return check_machines(argv[2]);
	if (strcmp(argv[1], "fleet") == 0)
		return loop_fleet(argv[2]);
	if (strcmp(argv[1], "check-fleet") == 0)
		return check_fleet(argv[2]);
	return 2;
}
