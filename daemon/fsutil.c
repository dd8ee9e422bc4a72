#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

int
fs_open_beneath(const char *root, const char *path, off_t *ret_size)
{
	struct open_how how = {
	    .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int dirfd = -1, fd = -1;
	int r;

	if (path[0] == '/' || path[0] == '\0')
		return -EACCES;
	dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT ? -ENOENT : -EACCES;
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
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		return -errno;
	*ret_size = st.st_size;
	return 0;
}
