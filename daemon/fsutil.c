#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "util.h"

#define RM_MAX_DEPTH 16

int
fs_open_beneath(const char *root, const char *path, off_t *ret_size)
{
	_cleanup_close_ int dirfd = -1;

	if (path[0] == '/' || path[0] == '\0')
		return -EACCES;
	dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT ? -ENOENT : -EACCES;
	return fs_open_beneath_at(dirfd, path, ret_size);
}

int
fs_open_beneath_at(int dirfd, const char *path, off_t *ret_size)
{
	struct open_how how = {
	    .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int fd = -1;
	int r;

	if (path[0] == '/' || path[0] == '\0')
		return -EACCES;
	fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	if (fd < 0) {
		switch (errno) {
		case ENOENT:
		case ENOTDIR:
			return -ENOENT;
		case EXDEV:
		case ELOOP:
		default:
			return -EACCES;
		}
	}
	r = fs_regular_file(fd, ret_size);
	if (r < 0)
		return r;
	return TAKE_FD(fd);
}

int
fs_regular_file(int fd, off_t *ret_size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EISDIR;
	/* O_NONBLOCK stays: it changes nothing for a regular file (read, pread, sendfile) */
	*ret_size = st.st_size;
	return 0;
}

int
fs_memfd(const char *name, const void *data, size_t len)
{
	_cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	const char *p = data;

	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n, len -= (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return -errno;
	return TAKE_FD(fd);
}

void
fs_random_suffix(char buf[7])
{
	static const char chars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	uint8_t rnd[6];

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		uint64_t t = (uint64_t)time(NULL) ^ (uint64_t)getpid() ^ (uint64_t)(uintptr_t)buf;
		memcpy(rnd, &t, sizeof(rnd));
	}
	for (size_t i = 0; i < 6; i++)
		buf[i] = chars[rnd[i] % (sizeof(chars) - 1)];
	buf[6] = '\0';
}

static int
rm_rf_depth(int dirfd, const char *name, unsigned depth)
{
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	if (depth > RM_MAX_DEPTH)
		return -ELOOP;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		int q = rm_rf_depth(fd, de->d_name, depth + 1);
		if (q < 0 && r == 0)
			r = q;
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

int
fs_rm_rf_at(int dirfd, const char *name)
{
	return rm_rf_depth(dirfd, name, 0);
}

int
fs_stage_write_at(
    int dirfd, const char *name, const void *data, size_t len, char ret_tmp[NAME_MAX + 1])
{
	char tmp[NAME_MAX + 1], sfx[7];
	int fd = -1, r;

	for (int tries = 0; fd < 0; tries++) {
		fs_random_suffix(sfx);
		snprintf(tmp, sizeof(tmp), ".tmp-%s.%s", name, sfx);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 && (errno != EEXIST || tries > 100))
			return -errno;
	}
	r = io_write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	memcpy(ret_tmp, tmp, sizeof(tmp));
	return 0;
}

int
fs_atomic_write_at(int dirfd, const char *name, const void *data, size_t len)
{
	char tmp[NAME_MAX + 1];
	int r = fs_stage_write_at(dirfd, name, data, len, tmp);

	if (r < 0)
		return r;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		r = -errno;
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	return fsync(dirfd) < 0 ? -errno : 0;
}

int
fs_read_file_at(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EISDIR;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		return -ENOMEM;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int
fs_open_subdir(int dirfd, const char *name)
{
	if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int
fs_opendir(int dirfd, DIR **ret)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return -errno;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	*ret = d;
	return 0;
}

void
fs_clean_leftovers(int dirfd, const char *path)
{
	struct dirent *de;
	DIR *d;

	if (fs_opendir(dirfd, &d) < 0) {
		log_warn(NULL, "Cannot read \"%s\" to clean leftovers, ignoring", path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".tmp-", 5) != 0)
			continue;
		int r = fs_rm_rf_at(dirfd, de->d_name);
		if (r < 0)
			log_warn(NULL, "Cannot remove leftover \"%s/%s\": %s, ignoring", path,
			    de->d_name, strerror(-r));
		else
			log_info(NULL, "Removed leftover \"%s/%s\"", path, de->d_name);
	}
	closedir(d);
}

int
fs_rename_noreplace(int dirfd, const char *from, const char *to)
{
	struct stat st;

	if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (fstatat(dirfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return -EEXIST;
	return renameat(dirfd, from, dirfd, to) < 0 ? -errno : 0;
}
