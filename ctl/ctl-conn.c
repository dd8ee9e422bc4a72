/* The client end of the control socket: connect, send one frame, read frames. */
#include <errno.h>
#include <sys/uio.h>
#include <fcntl.h>
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

int
ctl_conn_send_fds(int fd, const uint8_t *buf, size_t len, const int *fds, size_t n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * CONTROL_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	ssize_t k;

	if (n == 0)
		return ctl_conn_send(fd, buf, len);
	if (n > CONTROL_MAX_FDS || len == 0)
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	msg.msg_control = u.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	/* The descriptors ride with the first bytes; the rest follows plainly. */
	do
		k = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (k < 0 && errno == EINTR && !ctl_interrupted);
	if (k < 0)
		return -errno;
	return ctl_conn_send(fd, buf + k, len - (size_t)k);
}

int
ctl_source_open(const cJSON *source, int fds[CONTROL_MAX_FDS], size_t *ret_n)
{
	static const char *const names[] = {"kernel", "initrd", "rootfs.squashfs"};
	const cJSON *path = cJSON_GetObjectItemCaseSensitive(source, "path");
	int n = control_source_fds(source), dir = -1;

	*ret_n = 0;
	if (n == 0)
		return 0;
	if (!cJSON_IsString(path))
		return -EINVAL;
	if (n == 1) {
		fds[0] = open(path->valuestring, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fds[0] < 0) {
			ctl_error("cannot read \"%s\": %s", path->valuestring, strerror(errno));
			return -errno;
		}
		*ret_n = 1;
		return 0;
	}
	dir = open(path->valuestring, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		ctl_error(
		    "cannot read the directory \"%s\": %s", path->valuestring, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		fds[i] = openat(dir, names[i], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fds[i] < 0) {
			int e = errno;

			ctl_error(
			    "cannot read \"%s/%s\": %s", path->valuestring, names[i], strerror(e));
			while (i-- > 0)
				close(fds[i]);
			close(dir);
			return -e;
		}
	}
	close(dir);
	*ret_n = (size_t)n;
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
