#include "io.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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
