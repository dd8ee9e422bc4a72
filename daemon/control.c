/*
 * The control socket: listening, connections, frame assembly, authorisation
 * and dispatch to the command handlers of cmd.c.
 */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <systemd/sd-daemon.h>

#include "cmd.h"
#include "control-internal.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define CONTROL_BACKLOG    16
#define GROUP_BUF_MAX      (1024 * 1024)
#define CONTROL_IN_LIMIT   (CONTROL_HEADER_LEN + CONTROL_MAX_FRAME)
#define CONTROL_READ_CHUNK 65536

struct control_client {
	struct control_server *server;
	struct control_client *prev, *next;
	struct bufferevent *bev; /* output (and its errors); input is read by 'rev' */
	struct event *rev;       /* readable: recvmsg, so that passed files are kept */
	struct evbuffer *in;     /* frames read by 'rev', not yet processed */
	bool read_paused;        /* input at CONTROL_IN_LIMIT: 'rev' waits for room */
	struct event *reaper;    /* frees a client outside of callbacks that use it */
	struct control_peer peer;
	void *slot;                 /* cmd.c: watch subscription or import */
	bool pending;               /* a request is in progress: later frames wait */
	bool closing;               /* close once the output is written */
	bool dead;                  /* to be freed by the reaper */
	bool in_input;              /* inside client_process() */
	bool store_wait;            /* a state change waits for another's commit */
	struct commit_wait *commit; /* the reply waiting for this request's commit */
	int fds[CONTROL_MAX_FDS];   /* files passed with the current request (SCM_RIGHTS) */
	size_t n_fds;
};

struct control_server {
	struct server *srv;
	struct evconnlistener *listener;
	char *path;
	dev_t dev;
	ino_t ino;
	bool activated; /* the socket came from systemd: never unlinked nor closed */
	struct control_client *clients;
	unsigned n_clients;
};

/* A reply held until the store's commit (store_commit()) completes. */
struct commit_wait {
	struct control_server *server;
	struct control_client *client; /* NULL once the client is gone */
	cJSON *data;
	bool failed; /* the handler failed after changing something: its error */
	struct control_status err;
};

struct server *
control_client_server(const struct control_client *c)
{
	return c->server->srv;
}

const struct control_peer *
control_client_peer(const struct control_client *c)
{
	return &c->peer;
}

void **
control_client_slot(struct control_client *c)
{
	return &c->slot;
}

unsigned
control_server_clients(const struct control_server *s)
{
	return s != NULL ? s->n_clients : 0;
}

/* ---- client lifetime ---- */

/* Passed files that no handler took. */
static void
client_close_fds(struct control_client *c)
{
	for (size_t i = 0; i < c->n_fds; i++)
		close(c->fds[i]);
	c->n_fds = 0;
}

static void
client_free(struct control_client *c)
{
	struct control_server *s = c->server;

	cmd_client_gone(c);
	if (c->commit != NULL) /* the commit completes without it */
		c->commit->client = NULL;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->n_clients--;
	client_close_fds(c);
	if (c->rev != NULL)
		event_free(c->rev);
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->reaper != NULL)
		event_free(c->reaper);
	free(c);
}

static void
client_reap(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	client_free(arg);
}

/* Drop a client from anywhere: it is freed on the next loop iteration. */
static void
client_kill(struct control_client *c)
{
	if (c->dead)
		return;
	c->dead = true;
	event_del(c->rev);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	event_active(c->reaper, EV_TIMEOUT, 0);
}

/* ---- output ---- */

static void
client_send_frame(struct control_client *c, int k, uint8_t *frame, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (c->dead) {
		free(frame);
		return;
	}
	if (k < 0 || evbuffer_add(out, frame, len) < 0) {
		log_warn(NULL, "Cannot build a reply for the client of uid %u: %s, dropping it",
		    (unsigned)c->peer.uid, strerror(k < 0 ? -k : ENOMEM));
		free(frame);
		client_kill(c);
		return;
	}
	free(frame);
	if (evbuffer_get_length(out) > CONTROL_MAX_OUTPUT) {
		log_warn(NULL,
		    "Control client (uid %u, pid %d) is not reading its replies (%zu bytes queued), "
		    "dropping it",
		    (unsigned)c->peer.uid, (int)c->peer.pid, evbuffer_get_length(out));
		client_kill(c);
	}
}

void
control_client_send_event(struct control_client *c, const char *event, const cJSON *data)
{
	uint8_t *frame = NULL;
	size_t len = 0;
	int k = control_event_build(event, data, &frame, &len);

	client_send_frame(c, k, frame, len);
}

void
control_client_send_ok(struct control_client *c, const cJSON *data)
{
	uint8_t *frame = NULL;
	size_t len = 0;
	int k = control_reply_ok_build(data, &frame, &len);

	if (k == -EMSGSIZE) {
		struct control_status err;

		control_fail(&err, CONTROL_ERR_INTERNAL, "The reply is larger than %d bytes.",
		    CONTROL_MAX_FRAME);
		control_client_send_error(c, &err);
		return;
	}
	client_send_frame(c, k, frame, len);
}

void
control_client_send_error(struct control_client *c, const struct control_status *err)
{
	uint8_t *frame = NULL;
	size_t len = 0;
	int k = control_reply_error_build(err->code, err->message, &frame, &len);

	client_send_frame(c, k, frame, len);
}

/* ---- authorisation ---- */

static bool
peer_in_group(const struct control_peer *p, gid_t gid)
{
	if (p->gid == gid)
		return true;
	for (size_t i = 0; i < p->n_groups; i++)
		if (p->groups[i] == gid)
			return true;
	return false;
}

/* The gid of a group name: 0 or -ENOENT / -errno. */
static int
group_lookup(const char *name, gid_t *ret)
{
	size_t size = 4096;

	for (;;) {
		_cleanup_free_ char *buf = malloc(size);
		struct group gr, *res = NULL;
		int r;

		if (buf == NULL)
			return -ENOMEM;
		r = getgrnam_r(name, &gr, buf, size, &res);
		if (r == ERANGE && size < GROUP_BUF_MAX) {
			size *= 2;
			continue;
		}
		if (r != 0)
			return -r;
		if (res == NULL)
			return -ENOENT;
		*ret = gr.gr_gid;
		return 0;
	}
}

static bool
client_may_change(const struct control_client *c)
{
	const char *group = control_client_server(c)->cfg->control.group;
	gid_t gid;

	if (c->peer.uid == 0)
		return true;
	if (group == NULL || group_lookup(group, &gid) < 0)
		return false;
	return peer_in_group(&c->peer, gid);
}

static int
client_authorise(
    const struct control_client *c, const struct control_command *info, struct control_status *err)
{
	const char *group = control_client_server(c)->cfg->control.group;
	char fields[64];

	if (!(info->flags & CONTROL_CMD_RW) || client_may_change(c))
		return 0;
	snprintf(fields, sizeof(fields), "NETBOOT_EVENT=permission-denied\nUID=%u",
	    (unsigned)c->peer.uid);
	log_notice(fields, "Refused \"%s\" from uid %u (pid %d): not root nor in group \"%s\"",
	    info->name, (unsigned)c->peer.uid, (int)c->peer.pid, group != NULL ? group : "");
	return control_fail(err, CONTROL_ERR_PERMISSION_DENIED,
	    "Permission denied: \"%s\" changes state and needs root or group \"%s\".", info->name,
	    group != NULL ? group : "");
}

/* ---- input ---- */

/* What client_request() did with a frame. */
enum request_result {
	REQUEST_NEXT,  /* answered: take the next frame */
	REQUEST_STOP,  /* in progress or the client is gone: drained, stop */
	REQUEST_DEFER, /* not started (a commit is in flight): keep the frame, stop */
};

static void client_wake_waiters(struct control_server *s);

static int
commit_error_code(int r)
{
	switch (r) {
	case -EHOSTUNREACH:
	case -ECANCELED:
		return CONTROL_ERR_UNAVAILABLE;
	case -ESTALE:
		return CONTROL_ERR_CONFLICT;
	case -E2BIG:
		return CONTROL_ERR_INVALID;
	default:
		return CONTROL_ERR_IO;
	}
}

static void
on_commit(int r, const char *error, void *userdata)
{
	struct commit_wait *w = userdata;
	struct control_client *c = w->client;
	struct control_status err;

	if (c != NULL) {
		c->commit = NULL;
		if (r < 0) {
			control_fail(&err, commit_error_code(r), "%s.",
			    error != NULL ? error : strerror(-r));
			control_client_send_error(c, &err);
		} else if (w->failed) {
			control_client_send_error(c, &w->err);
		} else {
			control_client_send_ok(c, w->data);
		}
		control_client_request_done(c);
	}
	if (w->server != NULL)
		client_wake_waiters(w->server);
	cJSON_Delete(w->data);
	free(w);
}

/* Commit, then reply: the handler's error 'fail' (NULL: ok with 'data', taken). */
static void
client_commit_reply(struct control_client *c, cJSON *data, const struct control_status *fail)
{
	struct commit_wait *w = calloc(1, sizeof(*w));
	int r = w != NULL ? store_commit(control_client_server(c)->store, on_commit, w) : -ENOMEM;
	struct control_status err;

	if (r == 1) {
		*w = (struct commit_wait){.server = c->server, .client = c, .data = data};
		if (fail != NULL)
			w->failed = true, w->err = *fail;
		c->commit = w;
		return;
	}
	free(w);
	if (r < 0)
		fail = &err, control_fail(&err, CONTROL_ERR_INTERNAL,
		                 "Cannot commit the change: %s.", strerror(-r));
	if (fail != NULL)
		control_client_send_error(c, fail);
	else
		control_client_send_ok(c, data);
	cJSON_Delete(data);
	control_client_request_done(c);
}

void
control_client_finish(struct control_client *c, cJSON *data)
{
	client_commit_reply(c, data, NULL);
}

/* A state change may start now: 0; REQUEST_DEFER; or an error in *err (-1). */
static int
client_store_check(struct control_client *c, struct control_status *err)
{
	_cleanup_free_ char *why = NULL;
	int r = store_writable(control_client_server(c)->store, &why);

	if (r == -EAGAIN)
		return REQUEST_DEFER;
	if (r < 0)
		return control_fail(err,
		    r == -EHOSTUNREACH ? CONTROL_ERR_UNAVAILABLE : CONTROL_ERR_BUSY, "%s.",
		    why != NULL ? why : strerror(-r));
	return 0;
}

/* Handle one request payload. */
static enum request_result
client_request(struct control_client *c, const uint8_t *buf, size_t len)
{
	struct control_request req = {0};
	struct control_status err = {0};
	cJSON *data = NULL;
	bool rw = false;
	int k;

	k = control_request_parse(buf, len, &req, &err);
	if (k == -ENOMEM)
		control_fail(&err, CONTROL_ERR_INTERNAL, "Out of memory.");
	if (k == 0)
		k = client_authorise(c, req.command, &err);
	if (k == 0 && (rw = (req.command->flags & CONTROL_CMD_RW) != 0))
		k = client_store_check(c, &err);
	if (k == REQUEST_DEFER) {
		control_request_done(&req);
		c->pending = c->store_wait = true;
		return REQUEST_DEFER;
	}
	if (k == 0) {
		log_debug(NULL, "Control request \"%s\" from uid %u", req.command->name,
		    (unsigned)c->peer.uid);
		k = cmd_handler(req.command)(c, req.args, &data, &err);
	}
	control_request_done(&req);
	if (k == CONTROL_PENDING) {
		c->pending = true;
		return REQUEST_STOP;
	}
	if (rw) { /* what changed is shared before the reply (even if the handler failed later) */
		c->pending = true;
		client_commit_reply(c, data, k < 0 ? &err : NULL);
		return c->pending || c->dead ? REQUEST_STOP : REQUEST_NEXT;
	}
	if (k < 0)
		control_client_send_error(c, &err);
	else
		control_client_send_ok(c, data);
	cJSON_Delete(data);
	return c->dead ? REQUEST_STOP : REQUEST_NEXT;
}

/* A protocol error: tell the peer, then close once that is written. */
static void
client_bad_frame(struct control_client *c, const char *why)
{
	struct control_status err;

	log_info(NULL, "Closing the control connection of uid %u: %s", (unsigned)c->peer.uid, why);
	control_fail(&err, CONTROL_ERR_BAD_FRAME, "%s", why);
	control_client_send_error(c, &err);
	c->closing = true;
	event_del(c->rev);
	client_close_fds(c);
	evbuffer_drain(c->in, (size_t)-1);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		client_kill(c);
}

/* Process every whole frame in the input while no request is pending. */
static void
client_process(struct control_client *c)
{
	struct evbuffer *in = c->in;

	c->in_input = true;
	while (!c->pending && !c->closing && !c->dead) {
		size_t have = evbuffer_get_length(in), n;
		uint8_t *p =
		    evbuffer_pullup(in, have < CONTROL_HEADER_LEN ? -1 : CONTROL_HEADER_LEN);
		int k = control_frame_length(p, have, &n);

		if (k == -ENOBUFS)
			break;
		if (k < 0) {
			client_bad_frame(c, "The frame length is 0 or above the 1 MiB limit.");
			break;
		}
		if (have < CONTROL_HEADER_LEN + n)
			break;
		p = evbuffer_pullup(in, (ssize_t)(CONTROL_HEADER_LEN + n));
		if (p == NULL) {
			client_kill(c);
			break;
		}
		enum request_result done = client_request(c, p + CONTROL_HEADER_LEN, n);

		if (done == REQUEST_DEFER)
			break;       /* the frame and its files wait for client_wake_waiters() */
		client_close_fds(c); /* files belong to the request they came with */
		evbuffer_drain(in, CONTROL_HEADER_LEN + n);
		if (done == REQUEST_STOP)
			break;
	}
	c->in_input = false;
	if (c->read_paused && !c->closing && !c->dead &&
	    evbuffer_get_length(in) < CONTROL_IN_LIMIT) {
		c->read_paused = false;
		event_add(c->rev, NULL);
	}
}

/* A commit ended: the state changes that waited for it go now. */
static void
client_wake_waiters(struct control_server *s)
{
	for (struct control_client *c = s->clients; c != NULL; c = c->next)
		if (c->store_wait && !c->dead) {
			c->store_wait = false;
			control_client_request_done(c);
		}
}

void
control_client_request_done(struct control_client *c)
{
	c->pending = false;
	if (!c->in_input && !c->dead)
		client_process(c);
}

/* Keep the files of an SCM_RIGHTS message; false if there were too many. */
static bool
client_keep_fds(struct control_client *c, struct msghdr *msg)
{
	bool ok = (msg->msg_flags & MSG_CTRUNC) == 0;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (c->n_fds < CONTROL_MAX_FDS)
				c->fds[c->n_fds++] = fd;
			else {
				close(fd);
				ok = false;
			}
		}
	}
	return ok;
}

/*
 * Input is read here rather than by the bufferevent: recvmsg() keeps the
 * files a client passes with a request (netbootctl add-image --dir/--iso).
 */
static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct control_client *c = arg;
	struct evbuffer *in = c->in;
	union {
		char buf[CMSG_SPACE(sizeof(int) * CONTROL_MAX_FDS * 2)];
		struct cmsghdr align;
	} u;
	uint8_t data[CONTROL_READ_CHUNK];
	size_t have = evbuffer_get_length(in);
	struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
	struct msghdr msg = {.msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = u.buf,
	    .msg_controllen = sizeof(u.buf)};
	ssize_t n;

	(void)what;
	if (have >= CONTROL_IN_LIMIT) {
		c->read_paused = true;
		event_del(c->rev);
		return;
	}
	if (iov.iov_len > CONTROL_IN_LIMIT - have)
		iov.iov_len = CONTROL_IN_LIMIT - have;
	n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0)
			log_debug(
			    NULL, "Control connection of uid %u failed: %m", (unsigned)c->peer.uid);
		client_kill(c);
		return;
	}
	if (!client_keep_fds(c, &msg)) {
		client_bad_frame(c, "Too many files were passed with one request.");
		return;
	}
	if (evbuffer_add(in, data, (size_t)n) < 0) {
		client_kill(c);
		return;
	}
	client_process(c);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct control_client *c = arg;

	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		client_kill(c);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct control_client *c = arg;

	(void)bev;
	if (what & BEV_EVENT_ERROR)
		log_debug(NULL, "Control connection of uid %u failed: %m", (unsigned)c->peer.uid);
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_kill(c);
}

/* ---- accepting ---- */

static int
peer_credentials(int fd, struct control_peer *ret)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	ret->pid = cred.pid, ret->uid = cred.uid, ret->gid = cred.gid;
	len = sizeof(ret->groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, ret->groups, &len) < 0) {
		/* more than CONTROL_MAX_GROUPS groups: only the primary one counts */
		log_debug(NULL, "Cannot read the groups of uid %u: %m", (unsigned)cred.uid);
		len = 0;
	}
	ret->n_groups = len / sizeof(gid_t);
	return 0;
}

/* At the cap: one "busy" error frame, best effort, then close. */
static void
refuse_busy(int fd)
{
	uint8_t *frame = NULL;
	size_t len = 0;

	char msg[80];

	snprintf(msg, sizeof(msg), "Too many control connections (%d), try again later.",
	    CONTROL_MAX_CLIENTS);
	if (control_reply_error_build(CONTROL_ERR_BUSY, msg, &frame, &len) == 0)
		(void)!send(fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	free(frame);
	close(fd);
}

/* Takes 'fd' over: on failure it is closed too. */
static int
client_new(struct control_server *s, int fd)
{
	struct control_client *c = calloc(1, sizeof(*c));
	int r;

	if (c == NULL) {
		close(fd);
		return -ENOMEM;
	}
	c->server = s;
	c->next = s->clients;
	if (s->clients != NULL)
		s->clients->prev = c;
	s->clients = c;
	s->n_clients++;
	if ((r = peer_credentials(fd, &c->peer)) < 0)
		goto fail;
	c->bev = bufferevent_socket_new(s->srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->rev = event_new(s->srv->base, fd, EV_READ | EV_PERSIST, on_readable, c);
	c->in = evbuffer_new();
	c->reaper = event_new(s->srv->base, -1, 0, client_reap, c);
	r = -ENOMEM;
	if (c->bev == NULL || c->rev == NULL || c->in == NULL || c->reaper == NULL ||
	    event_add(c->rev, NULL) < 0)
		goto fail;
	bufferevent_setcb(c->bev, NULL, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_WRITE);
	log_debug(
	    NULL, "Control connection from uid %u pid %d", (unsigned)c->peer.uid, (int)c->peer.pid);
	return 0;
fail:
	if (c->bev == NULL)
		close(fd); /* otherwise the bufferevent closes it */
	client_free(c);
	return r;
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct control_server *s = arg;
	int r;

	(void)l, (void)sa, (void)salen;
	if (s->n_clients >= CONTROL_MAX_CLIENTS) {
		log_warn(
		    NULL, "Too many control connections (%d), refusing one", CONTROL_MAX_CLIENTS);
		refuse_busy(fd);
		return;
	}
	r = client_new(s, fd);
	if (r < 0)
		log_warn(NULL, "Cannot set up a control connection: %s, ignoring", strerror(-r));
}

static void
on_accept_error(struct evconnlistener *l, void *arg)
{
	(void)l, (void)arg;
	log_warn(NULL, "Cannot accept a control connection: %m, ignoring");
}

/* ---- the socket file ---- */

/* Does anybody answer on the socket at 'sa'? */
static bool
socket_alive(const struct sockaddr_un *sa)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return fd >= 0 && connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
}

/* Make the parent directory and remove a stale socket. */
static int
socket_prepare(const char *path, const struct sockaddr_un *sa)
{
	_cleanup_free_ char *dir = strdup(path);
	struct stat st;
	char *slash;

	if (dir == NULL)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_err(NULL, "\"%s\" exists and is not a socket", path);
		return -EEXIST;
	}
	if (socket_alive(sa)) {
		log_err(NULL, "Another netbootd answers on \"%s\"", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	log_info(NULL, "Removed the stale control socket \"%s\"", path);
	return 0;
}

/* Whether this process is a member of 'gid'. */
static bool
self_in_group(gid_t gid)
{
	gid_t groups[CONTROL_MAX_GROUPS];
	int n;

	if (getegid() == gid)
		return true;
	n = getgroups((int)ELEMENTSOF(groups), groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/*
 * As root: root:<group> 0660.  Otherwise (User= in a unit) our own uid and
 * <group> when we are a member of it.  0600 when the group is unusable.
 */
static int
socket_permissions(const char *path, const char *group)
{
	bool root = geteuid() == 0;
	gid_t gid;
	int r = group != NULL ? group_lookup(group, &gid) : -ENOENT;

	if (r == 0 && !root && !self_in_group(gid)) {
		log_notice(NULL,
		    "Not root nor in group \"%s\": the control socket \"%s\" is for uid %u only",
		    group, path, (unsigned)geteuid());
		r = -EPERM;
	} else if (r < 0)
		log_notice(NULL,
		    "Group \"%s\" does not exist: the control socket \"%s\" is for %s only",
		    group != NULL ? group : "", path, root ? "root" : "our own uid");
	if (r < 0)
		return chmod(path, 0600) < 0 ? -errno : 0;
	if (chown(path, root ? 0 : (uid_t)-1, gid) < 0)
		return -errno;
	return 0;
}

static int
socket_open(const char *path, const char *group, struct stat *ret_st)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	mode_t old;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((r = socket_prepare(path, &sa)) < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	old = umask(0117);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old);
	if (r < 0)
		return r;
	if ((r = socket_permissions(path, group)) < 0 || stat(path, ret_st) < 0) {
		r = r < 0 ? r : -errno;
		unlink(path);
		return r;
	}
	return TAKE_FD(fd);
}

/* ---- socket activation ---- */

/* The control socket systemd passed (LISTEN_FDS), taken once and kept for good. */
static int activated_fd = -1;
static bool activated_checked;

static void
activated_take(void)
{
	int n = sd_listen_fds(1);

	activated_checked = true;
	if (n < 0)
		log_warn(
		    NULL, "Cannot read the sockets passed by systemd: %s, ignoring", strerror(-n));
	for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++) {
		if (activated_fd < 0 && sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0) {
			activated_fd = fd;
			continue;
		}
		log_warn(NULL,
		    "File descriptor %d passed by systemd is not a listening Unix stream "
		    "socket, closing it",
		    fd);
		close(fd);
	}
	if (activated_fd >= 0 && (fcntl(activated_fd, F_SETFD, FD_CLOEXEC) < 0 ||
	                             fcntl(activated_fd, F_SETFL, O_NONBLOCK | O_RDWR) < 0))
		log_warn(NULL, "Cannot make the control socket non-blocking: %m, ignoring");
}

/* The path of the passed socket into 'buf', or "" (abstract, unnamed). */
static void
activated_path(char *buf, size_t len)
{
	struct sockaddr_un sa = {0};
	socklen_t salen = sizeof(sa);

	buf[0] = '\0';
	if (getsockname(activated_fd, (struct sockaddr *)&sa, &salen) == 0 &&
	    salen > offsetof(struct sockaddr_un, sun_path) && sa.sun_path[0] != '\0')
		snprintf(buf, len, "%.*s", (int)(salen - offsetof(struct sockaddr_un, sun_path)),
		    sa.sun_path);
}

/* The passed socket (logged), or -1 when systemd passed none. */
static int
activated_get(const char *path, char *ret_path, size_t len)
{
	if (!activated_checked)
		activated_take();
	if (activated_fd < 0)
		return -1;
	activated_path(ret_path, len);
	if (strcmp(ret_path, path) != 0)
		log_notice(NULL,
		    "The control socket passed by systemd is \"%s\", not control.socket \"%s\": "
		    "using the passed one",
		    ret_path, path);
	return activated_fd;
}

bool
control_server_activated(const struct control_server *s)
{
	return s != NULL && s->activated;
}

/* ---- the server ---- */

/* The listening socket: the one systemd passed, else a new one at 'path'. */
static int
control_listen_fd(struct server *srv, struct control_server *s)
{
	const char *path = srv->cfg->control.socket;
	char passed[sizeof(((struct sockaddr_un *)NULL)->sun_path) + 1];
	struct stat st;
	int fd = activated_get(path, passed, sizeof(passed));

	if (fd >= 0) {
		s->activated = true;
		s->path = strdup(passed[0] != '\0' ? passed : path);
		return s->path != NULL ? fd : -ENOMEM;
	}
	if ((s->path = strdup(path)) == NULL)
		return -ENOMEM;
	fd = socket_open(path, srv->cfg->control.group, &st);
	if (fd >= 0)
		s->dev = st.st_dev, s->ino = st.st_ino;
	return fd;
}

/* Accept on 'fd' (taken over unless it is systemd's). */
static int
listener_start(struct control_server *s, int fd)
{
	s->listener = evconnlistener_new(s->srv->base, on_accept, s,
	    LEV_OPT_CLOSE_ON_EXEC | (s->activated ? 0 : LEV_OPT_CLOSE_ON_FREE),
	    s->activated ? 0 : CONTROL_BACKLOG, fd);
	if (s->listener == NULL) {
		log_err(NULL, "Cannot listen on the control socket \"%s\"", s->path);
		if (!s->activated)
			close(fd);
		return -EIO;
	}
	evconnlistener_set_error_cb(s->listener, on_accept_error);
	log_info(NULL, "Control socket %s \"%s\"",
	    s->activated ? "passed by systemd, listening on" : "listening on", s->path);
	return 0;
}

/* Stop accepting; remove the socket only if we made it and it is still ours. */
static void
listener_stop(struct control_server *s)
{
	struct stat st;

	if (s->listener != NULL)
		evconnlistener_free(s->listener);
	s->listener = NULL;
	if (!s->activated && s->path != NULL && stat(s->path, &st) == 0 && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		unlink(s->path);
	free(s->path);
	s->path = NULL;
}

int
control_server_new(struct server *srv, struct control_server **ret)
{
	const char *path = srv->cfg->control.socket;
	struct control_server *s;
	int fd, r;

	if (path == NULL || cmd_handlers_check() < 0)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->srv = srv;
	fd = control_listen_fd(srv, s);
	if (fd < 0) {
		log_err(NULL, "Cannot open the control socket \"%s\": %s", path, strerror(-fd));
		control_server_free(s);
		return fd;
	}
	if ((r = listener_start(s, fd)) < 0) {
		control_server_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int
control_server_reopen(struct control_server *s)
{
	const struct config *c = s->srv->cfg;
	struct control_server next = {.srv = s->srv};
	int fd;

	if (s->activated)
		return 0;
	if (strcmp(s->path, c->control.socket) == 0)
		return socket_permissions(s->path, c->control.group);
	fd = control_listen_fd(s->srv, &next);
	if (fd < 0) {
		log_err(NULL, "Cannot open the control socket \"%s\": %s, keeping \"%s\"",
		    c->control.socket, strerror(-fd), s->path);
		free(next.path);
		return fd;
	}
	listener_stop(s);
	s->path = next.path, s->dev = next.dev, s->ino = next.ino;
	return listener_start(s, fd);
}

void
control_server_free(struct control_server *s)
{
	if (s == NULL)
		return;
	for (struct control_client *c = s->clients; c != NULL; c = c->next)
		if (c->commit != NULL) /* completes after the server is gone */
			c->commit->server = NULL;
	while (s->clients != NULL)
		client_free(s->clients); /* their imports are cancelled */
	listener_stop(s);
	free(s);
}

size_t
control_client_take_fds(struct control_client *c, int *fds, size_t max)
{
	size_t n = c->n_fds < max ? c->n_fds : max;

	memcpy(fds, c->fds, n * sizeof(int));
	for (size_t i = n; i < c->n_fds; i++)
		close(c->fds[i]);
	c->n_fds = 0;
	return n;
}
