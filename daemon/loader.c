#include "loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot-view.h"
#include "fsutil.h"
#include "server.h"
#include "util.h"

static const char *
ipxe_dir(const struct config *c)
{
	return c->ipxe.dir != NULL ? c->ipxe.dir : CONFIG_DEFAULT_IPXEDIR;
}

__attribute__((format(printf, 3, 4))) static void
problem(void (*report)(void *, const char *), void *userdata, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (report != NULL)
		report(userdata, msg);
}

/* Whether dir/name is a regular file we can read; errno's value otherwise. */
static int
file_ok(const char *dir, const char *name)
{
	char path[4096];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return ENAMETOOLONG;
	if (stat(path, &st) < 0)
		return errno;
	if (!S_ISREG(st.st_mode))
		return EISDIR;
	return access(path, R_OK) < 0 ? errno : 0;
}

static unsigned
scan_ipxe(const struct config *c, struct loader_set *ret, void (*report)(void *, const char *),
    void *userdata)
{
	static const char *const keys[_BOOT_LOADER_MAX] = {"bios", "efi32", "efi64", "arm64"};
	const char *names[_BOOT_LOADER_MAX] = {
	    c->ipxe.bios, c->ipxe.efi32, c->ipxe.efi64, c->ipxe.arm64};
	unsigned n = 0;
	int e;

	for (size_t i = 0; i < _BOOT_LOADER_MAX; i++) {
		if (names[i] == NULL || names[i][0] == '\0')
			continue;
		e = file_ok(ipxe_dir(c), names[i]);
		ret->ipxe[i] = e == 0;
		if (e != 0) {
			problem(report, userdata,
			    "ipxe.%s: \"%s\" in ipxe.dir \"%s\": %s; not offered to clients",
			    keys[i], names[i], ipxe_dir(c), strerror(e));
			n++;
		}
	}
	return n;
}

/* Whether the file holds 'token' followed by spaces up to 'field' bytes. */
static bool
has_field(const char *buf, size_t len, const char *token, size_t field)
{
	const char *p = memmem(buf, len, token, strlen(token));

	if (p == NULL || (size_t)(buf + len - p) < field)
		return false;
	for (size_t i = strlen(token); i < field; i++)
		if (p[i] != ' ')
			return false;
	return true;
}

/* Read netbootd-grub.efi of an architecture's directory: 0, or -errno (-EINVAL: no placeholder). */
static int
read_grub(const char *dir, const char *arch, char **ret, size_t *ret_len)
{
	_cleanup_close_ int dfd = -1;
	char path[4096];
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", dir, arch) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	r = fs_read_file_at(dfd, BOOT_NETBOOTD_GRUB_NAME, LOADER_GRUB_MAX, ret, ret_len);
	if (r < 0)
		return r;
	if (!has_field(*ret, *ret_len, LOADER_SERVER_TOKEN, LOADER_SERVER_FIELD)) {
		free(*ret);
		*ret = NULL;
		return -EINVAL;
	}
	return 0;
}

static unsigned
scan_arch(const char *dir, enum boot_efi_arch a, struct loader_set *ret,
    void (*report)(void *, const char *), void *userdata)
{
	const char *arch = boot_efi_arch_dir(a), *shim = boot_efi_shim_name(a),
	           *grub = boot_efi_signed_grub_name(a);
	char sub[4096], *buf = NULL;
	size_t len;
	unsigned n = 0;
	int r = read_grub(dir, arch, &buf, &len), es, eg;

	free(buf);
	ret->grub[a] = r == 0;
	if (r == -EINVAL) {
		problem(report, userdata,
		    "loaders.dir: %s/%s/%s has no " LOADER_SERVER_TOKEN
		    " placeholder: build it with tools/fetch-loaders.sh",
		    dir, arch, BOOT_NETBOOTD_GRUB_NAME);
		n++;
	} else if (r < 0 && r != -ENOENT) {
		problem(report, userdata, "loaders.dir: %s/%s/%s: %s", dir, arch,
		    BOOT_NETBOOTD_GRUB_NAME, strerror(-r));
		n++;
	}
	snprintf(sub, sizeof(sub), "%s/%s", dir, arch);
	es = file_ok(sub, shim), eg = file_ok(sub, grub);
	ret->shim[a] = es == 0 && eg == 0;
	if ((es == 0) != (eg == 0)) {
		problem(report, userdata, "loaders.dir: %s/%s: %s (shim-grub needs both %s and %s)",
		    sub, es != 0 ? shim : grub, strerror(es != 0 ? es : eg), shim, grub);
		n++;
	}
	return n;
}

unsigned
loader_scan(const struct config *c, struct loader_set *ret,
    void (*report)(void *userdata, const char *msg), void *userdata)
{
	struct stat st = {0};
	unsigned n;

	*ret = (struct loader_set){0};
	n = scan_ipxe(c, ret, report, userdata);
	if (c->loaders.dir == NULL)
		return n;
	if (stat(c->loaders.dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		int e = S_ISDIR(st.st_mode) ? 0 : errno;

		problem(report, userdata,
		    "loaders.dir: \"%s\": %s (fill it with tools/fetch-loaders.sh)", c->loaders.dir,
		    e != 0 ? strerror(e) : "not a directory");
		return n + 1;
	}
	for (size_t a = 0; a < _BOOT_EFI_MAX; a++)
		n += scan_arch(c->loaders.dir, (enum boot_efi_arch)a, ret, report, userdata);
	if (n == 0 && !ret->grub[BOOT_EFI_X86_64] && !ret->grub[BOOT_EFI_ARM64] &&
	    !ret->shim[BOOT_EFI_X86_64] && !ret->shim[BOOT_EFI_ARM64]) {
		problem(report, userdata,
		    "loaders.dir: \"%s\" has no loader in x86_64-efi/ or arm64-efi/ (fill it with "
		    "tools/fetch-loaders.sh)",
		    c->loaders.dir);
		n++;
	}
	return n;
}

bool
loader_known(struct server *srv, const char *name)
{
	struct boot_view v;

	boot_view_init(srv, &v);
	return boot_loader_known(&v, name);
}

int
loader_open(struct server *srv, const char *name, off_t *ret_size)
{
	_cleanup_close_ int fd = -1;
	char path[4096];
	int r;

	if (!loader_known(srv, name))
		return -ENOENT;
	if (snprintf(path, sizeof(path), "%s/%s", ipxe_dir(srv->cfg), name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -EACCES;
	r = fs_regular_file(fd, ret_size);
	if (r < 0)
		return r;
	return TAKE_FD(fd);
}

/* Write 'value' over the field that starts with 'token', padded with spaces. */
static void
patch_field(char *buf, size_t len, const char *token, size_t field, const char *value)
{
	char *p = memmem(buf, len, token, strlen(token));
	size_t n = strlen(value);

	if (p == NULL || (size_t)(buf + len - p) < field || n > field)
		return;
	memset(p, ' ', field);
	memcpy(p, value, n);
}

/* netbootd's GRUB of 'arch' for this server and platform, in a sealed memfd. */
static int
make_grub(
    const char *dir, const char *arch, const char *server, const char *platform, off_t *ret_size)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_grub(dir, arch, &buf, &len);

	if (r < 0)
		return r;
	if (strlen(server) > LOADER_SERVER_FIELD)
		return -EINVAL;
	patch_field(buf, len, LOADER_SERVER_TOKEN, LOADER_SERVER_FIELD, server);
	if (has_field(buf, len, LOADER_ARCH_TOKEN, LOADER_ARCH_FIELD))
		patch_field(buf, len, LOADER_ARCH_TOKEN, LOADER_ARCH_FIELD, platform);
	r = fs_memfd(BOOT_NETBOOTD_GRUB_NAME, buf, len);
	if (r >= 0)
		*ret_size = (off_t)len;
	return r;
}

struct loader_cache {
	struct {
		char key[LOADER_SERVER_FIELD + 40]; /* "<arch> <platform> <server>"; "": empty */
		struct stat src;                    /* the file it was made from */
		int fd;                             /* sealed memfd */
		off_t size;
		uint64_t used; /* for replacing the least recently used */
	} slot[LOADER_CACHE_SLOTS];
	uint64_t clock;
};

void
loader_cache_free(struct loader_cache *lc)
{
	if (lc == NULL)
		return;
	for (size_t i = 0; i < LOADER_CACHE_SLOTS; i++)
		if (lc->slot[i].key[0] != '\0')
			close(lc->slot[i].fd);
	free(lc);
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* A new open file of a cached memfd (its own offset), or -errno (no /proc: not cached). */
static int
reopen(int fd)
{
	char path[32];
	int r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = open(path, O_RDONLY | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

/* The slot of 'key', else the least recently used one (closed). */
static size_t
cache_slot(struct loader_cache *lc, const char *key)
{
	size_t old = 0;

	for (size_t i = 0; i < LOADER_CACHE_SLOTS; i++) {
		if (strcmp(lc->slot[i].key, key) == 0)
			return i;
		if (lc->slot[i].used < lc->slot[old].used)
			old = i;
	}
	if (lc->slot[old].key[0] != '\0')
		close(lc->slot[old].fd);
	lc->slot[old].key[0] = '\0';
	return old;
}

static int
open_grub(struct server *srv, const char *dir, const char *arch, const char *server, bool http,
    off_t *ret_size)
{
	char platform[24], key[sizeof(srv->loader_cache->slot[0].key)], path[4096];
	struct loader_cache *lc;
	struct stat st;
	size_t i;
	int fd, r;

	snprintf(platform, sizeof(platform), "%s-%s", http ? "http" : "efi",
	    strcmp(arch, "arm64-efi") == 0 ? "arm64" : "x86_64");
	snprintf(path, sizeof(path), "%s/%s/%s", dir, arch, BOOT_NETBOOTD_GRUB_NAME);
	if (snprintf(key, sizeof(key), "%s %s %s", arch, platform, server) >= (int)sizeof(key) ||
	    stat(path, &st) < 0 ||
	    (srv->loader_cache == NULL &&
	        (srv->loader_cache = calloc(1, sizeof(*srv->loader_cache))) == NULL))
		return make_grub(dir, arch, server, platform, ret_size);
	lc = srv->loader_cache;
	i = cache_slot(lc, key);
	if (lc->slot[i].key[0] != '\0' && same_file(&lc->slot[i].src, &st) &&
	    (fd = reopen(lc->slot[i].fd)) >= 0) {
		lc->slot[i].used = ++lc->clock;
		*ret_size = lc->slot[i].size;
		return fd;
	}
	if (lc->slot[i].key[0] != '\0')
		close(lc->slot[i].fd);
	lc->slot[i].key[0] = '\0';
	if ((r = make_grub(dir, arch, server, platform, ret_size)) < 0 || (fd = reopen(r)) < 0)
		return r;
	snprintf(lc->slot[i].key, sizeof(lc->slot[i].key), "%s", key);
	lc->slot[i].src = st, lc->slot[i].fd = r, lc->slot[i].size = *ret_size;
	lc->slot[i].used = ++lc->clock;
	return fd;
}

int
loader_open_dir(
    struct server *srv, const char *path, const char *server, bool http, off_t *ret_size)
{
	const char *dir = srv->cfg->loaders.dir, *slash = strchr(path, '/');
	char arch[16];

	if (dir == NULL || slash == NULL || (size_t)(slash - path) >= sizeof(arch))
		return -ENOENT;
	memcpy(arch, path, (size_t)(slash - path));
	arch[slash - path] = '\0';
	if (strcmp(arch, "x86_64-efi") != 0 && strcmp(arch, "arm64-efi") != 0)
		return -ENOENT;
	if (strcmp(slash + 1, BOOT_NETBOOTD_GRUB_NAME) == 0)
		return open_grub(srv, dir, arch, server, http, ret_size);
	return fs_open_beneath(dir, path, ret_size);
}
