/* The client end of the control socket: connect, send one frame, read frames. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

int
ctl_conn_open(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		if (errno != EINTR || ctl_interrupted)
			return -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int
ctl_conn_send(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR && !ctl_interrupted)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly 'len' bytes; -EPIPE on end of file. */
static int
read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR && !ctl_interrupted)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
ctl_conn_recv(int fd, struct control_message *ret)
{
	uint8_t header[CONTROL_HEADER_LEN];
	_cleanup_free_ uint8_t *payload = NULL;
	size_t len;
	int k;

	k = read_full(fd, header, sizeof(header));
	if (k < 0)
		return k;
	k = control_frame_length(header, sizeof(header), &len);
	if (k < 0)
		return -EBADMSG;
	payload = malloc(len);
	if (payload == NULL)
		return -ENOMEM;
	k = read_full(fd, payload, len);
	if (k == -EPIPE)
		return -EBADMSG; /* cut off in the middle of a frame */
	if (k < 0)
		return k;
	return control_message_parse(payload, len, ret);
}
