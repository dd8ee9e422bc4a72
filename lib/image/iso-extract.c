/*
 * Netboot files out of an ISO 9660 image (see iso-extract.h).
 */
#include "iso-extract.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "error.h"
#include "io.h"
#include "squashfs-super.h"
#include "util.h"

static const char *const kernel_candidates[] = {
    "boot/kernel",    /* Kairos */
    "boot/vmlinuz",   /* generic, openSUSE-based Kairos flavours */
    "boot/vmlinuz-*", /* Debian-style versioned names */
    "casper/vmlinuz", /* Ubuntu live */
    "live/vmlinuz",   /* Debian live */
    "live/vmlinuz-*",
    "images/pxeboot/vmlinuz", /* Fedora, RHEL */
    "isolinux/vmlinuz",
    "boot/x86_64/loader/linux", /* openSUSE */
    NULL,
};

static const char *const initrd_candidates[] = {
    "boot/initrd", /* Kairos */
    "boot/initrd.img",
    "boot/initrd.img-*",
    "boot/initramfs*",
    "boot/initrd-*",
    "casper/initrd",
    "casper/initrd.*",
    "live/initrd.img",
    "live/initrd.img-*",
    "images/pxeboot/initrd.img",
    "isolinux/initrd.img",
    "boot/x86_64/loader/initrd",
    NULL,
};

static const char *const rootfs_candidates[] = {
    "rootfs.squashfs",            /* Kairos */
    "live/filesystem.squashfs",   /* Debian live */
    "casper/filesystem.squashfs", /* Ubuntu up to 22.04 */
    "casper/*.squashfs",          /* later Ubuntu layered images */
    "live/*.squashfs",
    "LiveOS/squashfs.img", /* Fedora */
    "*.squashfs",
    "*/*.squashfs",
    NULL,
};

const char *const *const iso_candidates[MANIFEST_N_FILES] = {
    [MANIFEST_KERNEL] = kernel_candidates,
    [MANIFEST_INITRD] = initrd_candidates,
    [MANIFEST_ROOTFS] = rootfs_candidates,
};

/* Drop leading "/" and "./"; NULL when nothing is left. */
static const char *
name_skip_root(const char *s)
{
	for (;;) {
		if (s[0] == '/')
			s++;
		else if (s[0] == '.' && s[1] == '/')
			s += 2;
		else
			break;
	}
	return s[0] != '\0' && strcmp(s, ".") != 0 ? s : NULL;
}

/* ---- picking ---- */

static const struct iso_entry *
entry_find(const struct iso_entry *e, size_t n, const char *name, bool casefold)
{
	for (size_t i = 0; i < n; i++)
		if ((casefold ? strcasecmp : strcmp)(e[i].name, name) == 0)
			return &e[i];
	return NULL;
}

/* Resolve "a/b/../c/./d" from 'in' into 'path' (as large); -ELOOP if ".." climbs out of the root. */
static int
path_normalize(const char *in, char *path)
{
	char *out = path;

	while (*in != '\0') {
		size_t len = strcspn(in, "/");

		if (len == 2 && in[0] == '.' && in[1] == '.') {
			if (out == path)
				return -ELOOP;
			out--; /* drop the trailing "/" then the component */
			while (out > path && out[-1] != '/')
				out--;
		} else if (len > 0 && !(len == 1 && in[0] == '.')) {
			memcpy(out, in, len);
			out += len;
			*out++ = '/';
		}
		in += len;
		in += *in == '/';
	}
	if (out > path)
		out--;
	*out = '\0';
	return out > path ? 0 : -ELOOP;
}

/* The entry a link points to: symlinks relative to the link's directory. */
static int
link_target(const struct iso_entry *e, char *buf, size_t size)
{
	const char *slash = strrchr(e->name, '/');
	int dirlen =
	    e->is_symlink && e->link[0] != '/' && slash != NULL ? (int)(slash - e->name) : 0;
	char raw[2 * ISO_MAX_NAME + 4];

	if ((size_t)snprintf(raw, sizeof(raw), "%.*s/%s", dirlen, e->name, e->link) >=
	        sizeof(raw) ||
	    strlen(raw) >= size)
		return -ELOOP;
	return path_normalize(raw, buf);
}

static int
entry_resolve(const struct iso_entry *entries, size_t n, const struct iso_entry *e,
    const struct iso_entry **ret)
{
	char target[2 * ISO_MAX_NAME + 4];

	for (int hop = 0; e->link != NULL; hop++) {
		if (hop >= ISO_MAX_LINK_HOPS || link_target(e, target, sizeof(target)) < 0)
			return -ELOOP;
		e = entry_find(entries, n, target, false);
		if (e == NULL)
			return -ENOENT;
	}
	*ret = e;
	return 0;
}

static int
pick_pattern(const struct iso_entry *entries, size_t n, const char *pattern,
    const struct iso_entry **ret_taken, const struct iso_entry **ret_data)
{
	const struct iso_entry *best = NULL, *best_data = NULL, *data;

	for (size_t i = 0; i < n; i++) {
		if (fnmatch(pattern, entries[i].name, FNM_PATHNAME | FNM_CASEFOLD) != 0 ||
		    entry_resolve(entries, n, &entries[i], &data) < 0)
			continue;
		if (best == NULL || strverscmp(entries[i].name, best->name) > 0)
			best = &entries[i], best_data = data;
	}
	if (best == NULL)
		return -ENOENT;
	*ret_taken = best;
	*ret_data = best_data;
	return 0;
}

int
iso_pick(const struct iso_entry *entries, size_t n, enum manifest_file f, const char *override,
    const struct iso_entry **ret_taken, const struct iso_entry **ret_data)
{
	const struct iso_entry *e, *data;
	int r;

	if ((unsigned)f >= MANIFEST_N_FILES)
		return -EINVAL;
	if (override != NULL) {
		const char *name = name_skip_root(override);

		if (name == NULL)
			return -ENOENT;
		e = entry_find(entries, n, name, false) ?: entry_find(entries, n, name, true);
		if (e == NULL)
			return -ENOENT;
		if ((r = entry_resolve(entries, n, e, &data)) < 0)
			return r;
		*ret_taken = e;
		*ret_data = data;
		return 0;
	}
	for (const char *const *p = iso_candidates[f]; *p != NULL; p++)
		if (pick_pattern(entries, n, *p, ret_taken, ret_data) == 0)
			return 0;
	return -ENOENT;
}

/* ---- libarchive ---- */

struct iso_list {
	struct iso_entry *v;
	size_t n, cap;
};

static void
iso_list_done(struct iso_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].link);
	}
	free(l->v);
	*l = (struct iso_list){0};
}

static int
archive_open_iso(int fd, struct archive **ret)
{
	struct archive *a;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	a = archive_read_new();
	if (a == NULL)
		return -ENOMEM;
	if (archive_read_support_format_iso9660(a) != ARCHIVE_OK ||
	    archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK) {
		*ret = a; /* the caller reports archive_error_string() and frees */
		return -EBADMSG;
	}
	*ret = a;
	return 0;
}

static int
archive_fail(struct archive *a, const char *label, char **ret_error)
{
	const char *msg = archive_error_string(a) ?: "unknown error";
	int e = archive_errno(a);

	if (strstr(msg, "runcated") != NULL || strstr(msg, "premature") != NULL)
		return error_set(ret_error, -ENOBUFS, "\"%s\" is truncated: %s", label, msg);
	if (e == EIO || e == ENOMEM)
		return error_set(ret_error, -e, "Cannot read \"%s\": %s", label, msg);
	return error_set(
	    ret_error, -EBADMSG, "\"%s\" is not a readable ISO 9660 image: %s", label, msg);
}

static int
list_add(struct iso_list *l, struct archive_entry *ae, const char *name)
{
	const char *hard = archive_entry_hardlink(ae), *sym = archive_entry_symlink(ae);
	struct iso_entry *e;

	if (l->n >= ISO_MAX_ENTRIES)
		return -E2BIG;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct iso_entry *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		l->v = v, l->cap = cap;
	}
	e = &l->v[l->n];
	*e = (struct iso_entry){.size = (uint64_t)archive_entry_size(ae)};
	e->is_symlink = archive_entry_filetype(ae) == AE_IFLNK;
	e->name = strdup(name);
	if (e->is_symlink && sym != NULL)
		e->link = strdup(sym);
	else if (hard != NULL && name_skip_root(hard) != NULL)
		e->link = strdup(name_skip_root(hard));
	if (e->name == NULL || ((e->is_symlink || hard != NULL) && e->link == NULL)) {
		free(e->name);
		free(e->link);
		return e->is_symlink ? -EBADMSG : -ENOMEM;
	}
	l->n++;
	return 0;
}

/* The entry's name if it is a file worth listing, else NULL. */
static const char *
entry_name(struct archive_entry *ae, int *ret_r)
{
	const char *name = archive_entry_pathname(ae);
	mode_t type = archive_entry_filetype(ae);

	*ret_r = 0;
	if (name == NULL || (name = name_skip_root(name)) == NULL)
		return NULL;
	if (strlen(name) > ISO_MAX_NAME) {
		*ret_r = -ENAMETOOLONG;
		return NULL;
	}
	return type == AE_IFREG || type == AE_IFLNK ? name : NULL;
}

/* Pass 1: headers only. */
static int
iso_list_read(int fd, const char *label, struct iso_list *l, char **ret_error)
{
	struct archive *a = NULL;
	struct archive_entry *ae;
	int r = archive_open_iso(fd, &a), k;

	if (r == -EBADMSG)
		r = archive_fail(a, label, ret_error);
	else if (r < 0)
		r = error_set(ret_error, r, "Cannot read \"%s\": %s", label, strerror(-r));
	while (r == 0 && (k = archive_read_next_header(a, &ae)) != ARCHIVE_EOF) {
		const char *name;

		if (k < ARCHIVE_WARN) {
			r = archive_fail(a, label, ret_error);
			break;
		}
		name = entry_name(ae, &r);
		if (r < 0)
			r = error_set(ret_error, r, "\"%s\" holds a path longer than %d bytes",
			    label, ISO_MAX_NAME);
		else if (name != NULL && (r = list_add(l, ae, name)) < 0)
			r = error_set(ret_error, r, "\"%s\": %s (at most %d files)", label,
			    strerror(-r), ISO_MAX_ENTRIES);
		else if (archive_read_data_skip(a) < ARCHIVE_WARN)
			r = archive_fail(a, label, ret_error);
	}
	archive_read_free(a);
	return r;
}

/* ---- output files ---- */

struct out {
	const char *dest;
	const char *base; /* dest's last component, in dir_fd */
	int dir_fd;       /* dest's directory, opened once; -1 for a given descriptor */
	bool given;       /* tmp.fd is the caller's (iso_extract_params.out_fd) */
	struct io_tmpfile tmp;
	uint64_t written;
	uint8_t head[SQUASHFS_SUPER_SIZE]; /* the first bytes written */
	bool done;
	const struct iso_entry *taken, *data;
};

static void
out_abort(struct out *o)
{
	if (o->given)
		o->tmp.fd = -1; /* the caller's */
	io_tmpfile_discard(&o->tmp);
	if (o->dir_fd >= 0)
		close(o->dir_fd);
	o->dir_fd = -1;
}

/* dest's directory (or "."), opened once: every later step is relative to it. */
static int
out_dir(struct out *o, char **ret_error)
{
	const char *slash = strrchr(o->dest, '/');
	_cleanup_free_ char *dir = NULL;

	o->base = slash != NULL ? slash + 1 : o->dest;
	if (slash == NULL || slash == o->dest)
		dir = strdup(slash == NULL ? "." : "/");
	else
		dir = strndup(o->dest, (size_t)(slash - o->dest));
	if (dir == NULL)
		return -ENOMEM;
	o->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->dir_fd < 0)
		return error_set(ret_error, -errno, "Cannot create a file next to \"%s\": %s",
		    o->dest, strerror(errno));
	return 0;
}

static int
out_open(struct out *o, bool force, char **ret_error)
{
	struct stat st;
	int r;

	if (o->given)
		return 0;
	if ((r = out_dir(o, ret_error)) < 0)
		return r;
	if (!force && fstatat(o->dir_fd, o->base, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return error_set(
		    ret_error, -EEXIST, "\"%s\" exists (use --force to replace it)", o->dest);
	if ((r = io_tmpfile_open(o->dir_fd, o->base, &o->tmp)) < 0)
		return error_set(
		    ret_error, r, "Cannot create a file next to \"%s\": %s", o->dest, strerror(-r));
	return 0;
}

static int
out_write(struct out *o, const uint8_t *p, size_t n, char **ret_error)
{
	int r;

	for (size_t i = 0; i < n && o->written + i < sizeof(o->head); i++)
		o->head[o->written + i] = p[i];
	if ((r = io_write_all(o->tmp.fd, p, n)) < 0)
		return error_set(ret_error, r, "Cannot write \"%s\": %s", o->dest, strerror(-r));
	o->written += n;
	return 0;
}

struct ctx {
	const struct iso_extract_params *p;
	const char *label;
	struct out out[MANIFEST_N_FILES];
	uint8_t *buf;
};

/* Stream the current entry's data into every output that takes it. */
static int
extract_entry(struct ctx *c, struct archive *a, const struct iso_entry *data, char **ret_error)
{
	la_ssize_t k;
	int r;

	for (;;) {
		if (c->p->cancel != NULL && atomic_load(c->p->cancel))
			return error_set(ret_error, -ECANCELED, "Cancelled");
		k = archive_read_data(a, c->buf, ISO_CHUNK);
		if (k < 0)
			return archive_fail(a, c->label, ret_error);
		if (k == 0)
			break;
		for (size_t f = 0; f < MANIFEST_N_FILES; f++) {
			struct out *o = &c->out[f];

			if (o->data != data || o->done)
				continue;
			if ((r = out_write(o, c->buf, (size_t)k, ret_error)) < 0)
				return r;
			if (c->p->progress != NULL)
				c->p->progress(
				    manifest_file_names[f], o->written, data->size, c->p->userdata);
		}
	}
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		if (c->out[f].data == data && !c->out[f].done) {
			if (c->out[f].written != data->size)
				return error_set(ret_error, -ENOBUFS,
				    "\"%s\" is truncated: /%s has %llu of %llu bytes", c->label,
				    data->name, (unsigned long long)c->out[f].written,
				    (unsigned long long)data->size);
			c->out[f].done = true;
		}
	return 0;
}

static const struct iso_entry *
wanted(struct ctx *c, const char *name)
{
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		if (!c->out[f].done && strcmp(c->out[f].data->name, name) == 0)
			return c->out[f].data;
	return NULL;
}

/* Pass 2: the chosen entries' data. */
static int
extract_data(struct ctx *c, int fd, char **ret_error)
{
	struct archive *a = NULL;
	struct archive_entry *ae;
	int r = archive_open_iso(fd, &a), k, left = MANIFEST_N_FILES;

	if (r == -EBADMSG)
		r = archive_fail(a, c->label, ret_error);
	while (r == 0 && left > 0 && (k = archive_read_next_header(a, &ae)) != ARCHIVE_EOF) {
		const struct iso_entry *data;
		const char *name;

		if (k < ARCHIVE_WARN) {
			r = archive_fail(a, c->label, ret_error);
			break;
		}
		name = entry_name(ae, &r);
		if (name != NULL && archive_entry_hardlink(ae) == NULL &&
		    archive_entry_filetype(ae) == AE_IFREG && (data = wanted(c, name)) != NULL) {
			r = extract_entry(c, a, data, ret_error);
			left = 0;
			for (size_t f = 0; f < MANIFEST_N_FILES; f++)
				left += !c->out[f].done;
		}
	}
	archive_read_free(a);
	if (r == 0 && left > 0)
		r = error_set(ret_error, -EBADMSG, "\"%s\" changed while it was read", c->label);
	return r;
}

/* ---- checks and publishing ---- */

static int
check_outputs(struct ctx *c, char **ret_error)
{
	const struct out *k = &c->out[MANIFEST_KERNEL], *i = &c->out[MANIFEST_INITRD];
	const struct out *s = &c->out[MANIFEST_ROOTFS];
	struct squashfs_super sb;
	const char *why = NULL;

	if (k->written == 0 || i->written == 0)
		return error_set(ret_error, -EINVAL, "\"%s\": the %s /%s is empty", c->label,
		    k->written == 0 ? "kernel" : "initrd", (k->written == 0 ? k : i)->data->name);
	if (s->written < 4 || memcmp(s->head, "hsqs", 4) != 0)
		return error_set(ret_error, -EINVAL,
		    "\"%s\": /%s is not a squashfs file system (no \"hsqs\" magic)", c->label,
		    s->data->name);
	if (squashfs_super_parse(
	        s->head, s->written < sizeof(s->head) ? s->written : sizeof(s->head), &sb) < 0 ||
	    squashfs_super_check(&sb, s->written, &why) < 0)
		return error_set(ret_error, -EINVAL,
		    "\"%s\": /%s is not a valid squashfs file system: %s", c->label, s->data->name,
		    why != NULL ? why : "shorter than its super block");
	return 0;
}

static int
publish(struct ctx *c, char **ret_error)
{
	unsigned flags =
	    (c->p->sync ? IO_PUBLISH_SYNC : 0) | (c->p->force ? 0 : IO_PUBLISH_NOREPLACE);
	int r;

	for (size_t f = 0; f < MANIFEST_N_FILES; f++) {
		struct out *o = &c->out[f];

		if (o->given)
			continue;
		if ((r = io_tmpfile_publish(&o->tmp, o->base, 0644, flags)) < 0) {
			for (size_t g = 0; g < f; g++) /* take back what was published */
				if (!c->out[g].given)
					(void)unlinkat(c->out[g].dir_fd, c->out[g].base, 0);
			return error_set(ret_error, r, "Cannot rename to \"%s\": %s", o->dest,
			    r == -ESTALE ? "the temporary file was replaced while it was written"
			                 : strerror(-r));
		}
	}
	return 0;
}

static int
pick_all(struct ctx *c, const struct iso_list *l, char **ret_error)
{
	static const char *const what[] = {"kernel", "initrd", "squashfs root file system"};
	const struct iso_entry *taken, *data;

	for (size_t f = 0; f < MANIFEST_N_FILES; f++) {
		const char *ov = c->p->override[f];
		int r = iso_pick(l->v, l->n, f, ov, &taken, &data);

		if (r < 0 && ov != NULL)
			return error_set(ret_error, r, "\"%s\" has no file \"%s\"%s", c->label, ov,
			    r == -ELOOP ? " (a link that loops or leaves the ISO)" : "");
		if (r < 0)
			return error_set(ret_error, r,
			    "\"%s\" holds no %s (looked for /%s and the other usual names; "
			    "name one with --%s)",
			    c->label, what[f], iso_candidates[f][0],
			    f == MANIFEST_ROOTFS ? "rootfs" : manifest_file_names[f]);
		c->out[f].data = data;
		c->out[f].dest = c->p->dest[f] != NULL ? c->p->dest[f] : manifest_file_names[f];
		c->out[f].taken = taken;
	}
	return 0;
}

static void
result_fill(const struct ctx *c, struct iso_extract_result *ret)
{
	for (size_t f = 0; f < MANIFEST_N_FILES; f++) {
		snprintf(ret->taken[f], sizeof(ret->taken[f]), "/%s", c->out[f].taken->name);
		snprintf(ret->data[f], sizeof(ret->data[f]), "/%s", c->out[f].data->name);
		ret->size[f] = c->out[f].written;
	}
}

/* A descriptor on the output's file system. */
static int
out_fs(const struct out *o)
{
	return o->given ? o->tmp.fd : o->dir_fd;
}

/*
 * Before any byte is written: the declared sizes against the cap and against
 * the free space of each output's file system (a sparse ISO may declare
 * gigabytes it does not hold).
 */
static int
check_sizes(struct ctx *c, char **ret_error)
{
	uint64_t total = 0;

	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		total += c->out[f].data->size;
	if (c->p->max_size > 0 && total > c->p->max_size)
		return error_set(ret_error, -EFBIG,
		    "\"%s\": its files take %llu bytes, more than the image size cap of %llu "
		    "bytes (images: max_size)",
		    c->label, (unsigned long long)total, (unsigned long long)c->p->max_size);
	for (size_t f = 0; f < MANIFEST_N_FILES; f++) {
		struct statvfs vfs;
		struct stat a, b;
		uint64_t need = 0, avail;

		if (fstatvfs(out_fs(&c->out[f]), &vfs) < 0 || fstat(out_fs(&c->out[f]), &a) < 0)
			continue; /* unknown: the writes will tell */
		for (size_t g = 0; g < MANIFEST_N_FILES; g++)
			if (fstat(out_fs(&c->out[g]), &b) == 0 && b.st_dev == a.st_dev)
				need += c->out[g].data->size;
		avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
		if (need > avail)
			return error_set(ret_error, -ENOSPC,
			    "Cannot write \"%s\": %s (the ISO's files take %llu bytes, %llu "
			    "are free)",
			    c->out[f].dest, strerror(ENOSPC), (unsigned long long)need,
			    (unsigned long long)avail);
	}
	return 0;
}

static int
extract_run(struct ctx *c, int fd, const struct iso_list *l, char **ret_error)
{
	int r;

	if ((r = pick_all(c, l, ret_error)) < 0)
		return r;
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		if ((r = out_open(&c->out[f], c->p->force, ret_error)) < 0)
			return r;
	if ((r = check_sizes(c, ret_error)) < 0)
		return r;
	c->buf = malloc(ISO_CHUNK);
	if (c->buf == NULL)
		return -ENOMEM;
	if ((r = extract_data(c, fd, ret_error)) < 0 || (r = check_outputs(c, ret_error)) < 0)
		return r;
	return publish(c, ret_error);
}

int
iso_extract_fd(int fd, const char *label, const struct iso_extract_params *p,
    struct iso_extract_result *ret, char **ret_error)
{
	struct iso_list l = {0};
	struct ctx c = {.p = p, .label = label};
	int r;

	for (size_t f = 0; f < MANIFEST_N_FILES; f++) {
		if (p->dest[f] == NULL && p->out_fd[f] < 0)
			return -EINVAL;
		c.out[f].dir_fd = -1;
		c.out[f].given = p->dest[f] == NULL;
		c.out[f].tmp.fd = c.out[f].given ? p->out_fd[f] : -1;
	}
	r = iso_list_read(fd, label, &l, ret_error);
	if (r == 0)
		r = extract_run(&c, fd, &l, ret_error);
	if (r == 0 && ret != NULL)
		result_fill(&c, ret);
	if (r < 0 && ret_error != NULL && *ret_error == NULL)
		error_set(ret_error, r, "\"%s\": %s", label, strerror(-r));
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		out_abort(&c.out[f]);
	free(c.buf);
	iso_list_done(&l);
	return r;
}

int
iso_extract(const char *path, const struct iso_extract_params *p, struct iso_extract_result *ret,
    char **ret_error)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;

	if (fd < 0)
		return error_set(
		    ret_error, -errno, "Cannot open \"%s\": %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		return error_set(
		    ret_error, -errno, "Cannot read \"%s\": %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return error_set(ret_error, -EINVAL, "\"%s\" is not a file", path);
	return iso_extract_fd(fd, path, p, ret, ret_error);
}
