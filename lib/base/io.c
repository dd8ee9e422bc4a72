#include "io.h"

#include <errno.h>
#include <stdint.h>
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
