#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int
io_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void
io_hex_encode(const void *p, size_t len, char *ret)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++) {
		ret[i * 2] = hex[b[i] >> 4];
		ret[i * 2 + 1] = hex[b[i] & 15];
	}
	ret[len * 2] = '\0';
}

int
io_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* mkdir(path) unless it is a directory already. */
static int
mkdir_one(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int
io_mkdir_parents(const char *path, mode_t mode)
{
	char *copy;
	int r = 0;

	if (path[0] == '\0')
		return -ENOENT;
	if ((copy = strdup(path)) == NULL)
		return -ENOMEM;
	/* Each "/" that ends a name ends a parent: "a//b/c" makes a, a//b, then a//b/c. */
	for (char *p = copy + 1; r == 0 && *p != '\0'; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		r = mkdir_one(copy, mode);
		*p = '/';
	}
	if (r == 0)
		r = mkdir_one(copy, mode);
	free(copy);
	return r;
}

bool
io_same_file_at(int fd, int dir_fd, const char *name)
{
	struct stat a, b;

	if (fstat(fd, &a) < 0 || fstatat(dir_fd, name, &b, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int
io_tmpfile_open(int dir_fd, const char *prefix, struct io_tmpfile *ret)
{
	static const char chars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	uint8_t rnd[8];

	for (int attempt = 0; attempt < 100; attempt++) {
		int n = snprintf(ret->name, sizeof(ret->name), ".%s.XXXXXXXX", prefix), fd;

		if (n < 0 || (size_t)n >= sizeof(ret->name))
			return -ENAMETOOLONG;
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return -EIO;
		for (size_t i = 0; i < sizeof(rnd); i++)
			ret->name[(size_t)n - sizeof(rnd) + i] =
			    chars[rnd[i] % (sizeof(chars) - 1)];
		fd = openat(
		    dir_fd, ret->name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			ret->dir_fd = dir_fd;
			ret->fd = fd;
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* Rename without replacing, with link + unlink where the file system lacks RENAME_NOREPLACE. */
static int
rename_noreplace(int dir_fd, const char *from, const char *to)
{
	if (renameat2(dir_fd, from, dir_fd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (linkat(dir_fd, from, dir_fd, to, 0) < 0)
		return -errno;
	(void)unlinkat(dir_fd, from, 0);
	return 0;
}

int
io_tmpfile_publish(struct io_tmpfile *t, const char *name, mode_t mode, unsigned flags)
{
	int r;

	if ((flags & IO_PUBLISH_SYNC) && fsync(t->fd) < 0)
		return -errno;
	if (fchmod(t->fd, mode) < 0)
		return -errno;
	if (flags & IO_PUBLISH_NOREPLACE)
		r = rename_noreplace(t->dir_fd, t->name, name);
	else
		r = renameat(t->dir_fd, t->name, t->dir_fd, name) < 0 ? -errno : 0;
	if (r < 0)
		return r;
	if (!io_same_file_at(t->fd, t->dir_fd, name)) {
		/* Something else was renamed in our place: take it back out. */
		(void)unlinkat(t->dir_fd, name, 0);
		close(t->fd);
		t->fd = -1;
		return -ESTALE;
	}
	close(t->fd);
	t->fd = -1;
	return 0;
}

void
io_tmpfile_discard(struct io_tmpfile *t)
{
	if (t->fd < 0)
		return;
	if (io_same_file_at(t->fd, t->dir_fd, t->name))
		(void)unlinkat(t->dir_fd, t->name, 0);
	close(t->fd);
	t->fd = -1;
}
