/*
 * Read-only TFTP (RFC 1350, 2347, 2348, 2349, 7440).
 *
 * The listening socket takes requests with IP_PKTINFO, so every reply and
 * every session socket uses the local address the request was sent to
 * (clients check the source address) and iface_served() can filter.
 *
 * A session socket is bound but not connect()ed: a connected UDP socket
 * would never see packets from another port, and RFC 1350 wants those
 * answered with ERROR 5 while the transfer goes on.  Every packet's source is
 * compared with the client's address and port instead.
 *
 * One persistent event per session covers "packet arrived" and "retransmit
 * timeout".  The deadline is kept in the session and the event is re-armed
 * with the time left after every callback, so stray or duplicate packets
 * never postpone a retransmission.  Only the timeout resends: a duplicate ACK
 * is ignored (no Sorcerer's Apprentice).
 */
#include "tftp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "fsutil.h"
#include "grub.h"
#include "iface.h"
#include "loader.h"
#include "log.h"
#include "mac.h"
#include "manifest.h"
#include "name.h"
#include "netascii.h"
#include "progress.h"
#include "store.h"
#include "tftp-cache.h"
#include "tftp-packet.h"
#include "util.h"

#define TFTP_DEFAULT_MAX_SESSIONS 256
#define TFTP_LISTEN_BATCH         32        /* requests taken per callback of the listener */
#define TFTP_LISTEN_RCVBUF        (1 << 20) /* a boot storm's requests wait here for a turn */
#define TFTP_SESSION_BATCH        8         /* packets read per callback of a session */
#define TFTP_CLIENT_STRLEN        (INET_ADDRSTRLEN + 8)
#define TFTP_NETASCII_TSIZE_MAX   (1u << 20) /* larger: no tsize (the scan blocks ~1 ms/MiB) */

struct tftp_session {
	LIST_ENTRY(tftp_session) link;
	struct tftp_server *server;
	struct event ev;    /* the session socket, without a timeout */
	struct event timer; /* the retransmit deadline, armed lazily (session_timer_cb) */
	int sock;
	int fd;
	struct sockaddr_in peer;
	char client[TFTP_CLIENT_STRLEN];
	char file[TFTP_FILENAME_MAX + 1];
	struct tftp_params params;
	uint64_t size;
	uint64_t tsize;   /* the tsize answered: size, or netascii's converted size */
	uint64_t nblocks; /* DATA blocks in the transfer: size / blksize + 1 */
	uint64_t acked;   /* highest block acknowledged, 0 before the first */
	uint64_t sent;    /* highest block sent */
	uint64_t bytes;   /* file bytes sent, retransmits included */
	bool loader;      /* a configured iPXE loader (progress kind) */
	bool oack_pending;
	unsigned tries;   /* retransmits since the last progress */
	unsigned retries; /* cap on 'tries' */
	unsigned timeout; /* seconds */
	struct timespec start;
	struct timespec deadline;
	uint8_t *buf; /* one packet: header + blksize */
	size_t bufsize;
	/*
	 * netascii: blocks cut the converted stream, so each block in flight
	 * (acked + 1 .. sent + 1) has the state its conversion starts from, in
	 * a ring of windowsize + 1 indexed by block number; NULL for octet.
	 */
	struct netascii_state *marks;
	size_t nmarks;
	uint8_t *ascii_in; /* blksize bytes of the file, before conversion */
	/* octet: the file in memory, shared with the other sessions (tftp-cache.h); or NULL */
	struct tftp_cache *cache;
	const struct tftp_cached *cached;
};

struct tftp_server {
	struct server *srv;
	int sock;
	struct event *ev;
	LIST_HEAD(, tftp_session) sessions;
	struct tftp_stats *stats; /* srv->stats.tftp */
	struct tftp_cache *cache;
};

/* Where a request came from and went to. */
struct tftp_origin {
	struct sockaddr_in peer;
	struct in_addr local;
	int ifindex;
	char client[TFTP_CLIENT_STRLEN];
};

static void
format_client(const struct sockaddr_in *sin, char buf[TFTP_CLIENT_STRLEN])
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
	snprintf(buf, TFTP_CLIENT_STRLEN, "%s:%u", a, ntohs(sin->sin_port));
}

static struct timespec
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

static double
elapsed_s(const struct timespec *since)
{
	struct timespec n = now_mono();

	return (double)(n.tv_sec - since->tv_sec) + (double)(n.tv_nsec - since->tv_nsec) / 1e9;
}

static void
send_error_on(
    struct tftp_server *s, int sock, const struct sockaddr_in *to, uint16_t code, const char *msg)
{
	uint8_t buf[TFTP_HEADER_LEN + TFTP_ERRMSG_MAX + 1];
	struct writer w = writer_init(buf, sizeof(buf));

	if (tftp_error_write(&w, code, msg) < 0)
		return;
	if (sendto(sock, buf, w.len, 0, (const struct sockaddr *)to, sizeof(*to)) < 0) {
		log_debug(NULL, "Cannot send an ERROR packet: %m, ignoring");
		return;
	}
	s->stats->errors_sent++;
}

/* A socket on an ephemeral port of the address the request was sent to. */
static int
session_socket(struct in_addr local)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr = local};
	_cleanup_close_ int fd = -1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/* Answer a request with an ERROR from a new transfer ID, as a session would. */
static void
reply_error(struct tftp_server *s, const struct tftp_origin *o, uint16_t code, const char *msg)
{
	_cleanup_close_ int fd = session_socket(o->local);

	if (fd < 0) {
		log_debug(NULL, "Cannot open a socket to answer %s: %s, ignoring", o->client,
		    strerror(-fd));
		return;
	}
	send_error_on(s, fd, &o->peer, code, msg);
}

/*
 * Record the transfer's progress event (the recorder finds the client's MAC)
 * and return it for the log line.
 */
static void
session_record(struct tftp_session *t, bool complete, struct progress_event *ev)
{
	uint64_t acked = t->acked * t->params.blksize;

	*ev = (struct progress_event){
	    .kind = t->loader ? PROGRESS_LOADER : PROGRESS_FILE,
	    .client = t->peer.sin_addr,
	    .bytes = complete ? t->size : (acked < t->size ? acked : t->size),
	    .total = t->size,
	    .complete = complete,
	};
	memcpy(ev->detail, t->file, strnlen(t->file, sizeof(ev->detail) - 1));
	if (t->server->srv->progress != NULL)
		progress_record(t->server->srv->progress, ev);
}

/* Structured fields of a transfer's log line. */
static void
session_fields(const struct tftp_session *t, const struct progress_event *ev, char *buf, size_t len)
{
	char mac[MAC_STRLEN] = "-";

	if (ev->has_mac)
		mac_format(ev->mac, ':', mac);
	snprintf(buf, len, "CLIENT=%s\nFILE=%s\nNETBOOT_MAC=%s\nNETBOOT_EVENT=%s\nBYTES=%" PRIu64,
	    t->client, t->file, mac, progress_kind_name(ev->kind), ev->bytes);
}

/* A transfer that ends unfinished: record it, give the log line its fields. */
static void
session_failed(struct tftp_session *t, char *fields, size_t len)
{
	struct progress_event ev;

	session_record(t, false, &ev);
	session_fields(t, &ev, fields, len);
}

static void
session_free(struct tftp_session *t)
{
	if (t == NULL)
		return;
	if (t->server != NULL) {
		LIST_REMOVE(t, link);
		t->server->stats->active--;
	}
	if (t->sock >= 0) {
		event_del(&t->ev);
		event_del(&t->timer);
		close(t->sock);
	}
	if (t->fd >= 0)
		close(t->fd);
	tftp_cache_put(t->cache, t->cached);
	free(t->buf);
	free(t->marks);
	free(t->ascii_in);
	free(t);
}

/* End a session with an ERROR to the client, logged as a warning. */
static void
session_abort(struct tftp_session *t, uint16_t code, const char *msg)
{
	char fields[TFTP_FILENAME_MAX + 160];

	send_error_on(t->server, t->sock, &t->peer, code, msg);
	session_failed(t, fields, sizeof(fields));
	log_warn(fields, "Aborted transfer of \"%s\" to %s: %s", t->file, t->client, msg);
	session_free(t);
}

static void
session_set_deadline(struct tftp_session *t)
{
	t->deadline = now_mono();
	t->deadline.tv_sec += t->timeout;
}

static int
session_sendbuf(struct tftp_session *t, size_t len)
{
	if (sendto(t->sock, t->buf, len, 0, (struct sockaddr *)&t->peer, sizeof(t->peer)) < 0) {
		if (errno == EAGAIN || errno == ENOBUFS)
			return -EAGAIN; /* the retransmit timer recovers */
		log_debug(NULL, "Cannot send to %s: %m, ignoring", t->client);
	}
	return 0;
}

/* Block 'idx' (1-based) of the file as it is, after the header: its length or -errno. */
static ssize_t
block_read_octet(struct tftp_session *t, uint64_t idx)
{
	uint64_t off = (idx - 1) * t->params.blksize;
	size_t len =
	    t->size - off < t->params.blksize ? (size_t)(t->size - off) : t->params.blksize;
	ssize_t n;

	if (t->cached != NULL) {
		memcpy(t->buf + TFTP_HEADER_LEN, tftp_cached_data(t->cached) + off, len);
		return (ssize_t)len;
	}
	n = pread(t->fd, t->buf + TFTP_HEADER_LEN, len, (off_t)off);

	if (n < 0 || (size_t)n != len)
		return n < 0 ? -errno : -EIO;
	return n;
}

/*
 * Block 'idx' of the netascii stream, converted from the state saved at its
 * start (so a retransmission is the same bytes); saves the next block's.  The
 * first short block is the last.  Its length or -errno.
 */
static ssize_t
block_read_netascii(struct tftp_session *t, uint64_t idx)
{
	struct netascii_state st = t->marks[idx % t->nmarks];
	uint64_t left = t->size - st.offset;
	size_t want = left < t->params.blksize ? (size_t)left : t->params.blksize, len;
	ssize_t n = want > 0 ? pread(t->fd, t->ascii_in, want, (off_t)st.offset) : 0;

	if (n < 0 || (size_t)n != want)
		return n < 0 ? -errno : -EIO;
	len = netascii_encode(&st, t->ascii_in, want, t->buf + TFTP_HEADER_LEN, t->params.blksize);
	t->marks[(idx + 1) % t->nmarks] = st;
	if (len < t->params.blksize)
		t->nblocks = idx;
	return (ssize_t)len;
}

/* Send block 'idx' (1-based). */
static int
session_send_block(struct tftp_session *t, uint64_t idx)
{
	struct writer w = writer_init(t->buf, t->bufsize);
	ssize_t n;
	size_t len;

	if (tftp_data_header_write(&w, (uint16_t)idx) < 0)
		return -ENOBUFS;
	n = t->marks != NULL ? block_read_netascii(t, idx) : block_read_octet(t, idx);
	if (n < 0)
		return (int)n;
	len = (size_t)n;
	t->bytes += len;
	t->server->stats->bytes_sent += len;
	return session_sendbuf(t, TFTP_HEADER_LEN + len);
}

/* Send blocks from..to; those already sent once count as retransmits. */
static int
session_send_range(struct tftp_session *t, uint64_t from, uint64_t to)
{
	int r;

	for (uint64_t i = from; i <= to && i <= t->nblocks; i++) {
		r = session_send_block(t, i);
		if (r == -EAGAIN)
			break;
		if (r < 0)
			return r;
		if (i <= t->sent)
			t->server->stats->retransmits++;
		else
			t->sent = i;
	}
	session_set_deadline(t);
	return 0;
}

/* Send the window that follows the last acknowledged block. */
static int
session_send_window(struct tftp_session *t)
{
	uint64_t last = t->acked + t->params.windowsize;

	return session_send_range(t, t->acked + 1, last < t->nblocks ? last : t->nblocks);
}

static int
session_send_oack(struct tftp_session *t)
{
	struct writer w = writer_init(t->buf, t->bufsize);

	if (tftp_oack_write(&w, &t->params, t->tsize) < 0)
		return -ENOBUFS;
	session_set_deadline(t);
	(void)session_sendbuf(t, w.len);
	return 0;
}

static void
session_complete(struct tftp_session *t)
{
	double secs = elapsed_s(&t->start);
	char fields[TFTP_FILENAME_MAX + 200];
	struct progress_event ev;
	size_t n;

	session_record(t, true, &ev);
	session_fields(t, &ev, fields, sizeof(fields));
	n = strlen(fields);
	snprintf(fields + n, sizeof(fields) - n, "\nDURATION=%.3f", secs);
	log_info(fields,
	    "Sent \"%s\" to %s: %" PRIu64 " bytes in %.3f s (blksize %u, windowsize %u)", t->file,
	    t->client, t->size, secs, t->params.blksize, t->params.windowsize);
	t->server->stats->transfers++;
	session_free(t);
}

/* An ACK from the client.  Returns 1 when the session is gone. */
static int
session_on_ack(struct tftp_session *t, uint16_t block)
{
	uint16_t delta = (uint16_t)(block - (uint16_t)t->acked);

	if (t->oack_pending) {
		if (block != 0)
			return 0;
		t->oack_pending = false;
	} else if (delta == 0 || delta > t->sent - t->acked) {
		return 0; /* duplicate or stale: only the timer resends */
	} else {
		t->acked += delta;
	}
	t->tries = 0;
	if (t->acked == t->nblocks) {
		session_complete(t);
		return 1;
	}
	if (session_send_window(t) < 0) {
		session_abort(t, TFTP_EUNDEF, "Read error");
		return 1;
	}
	return 0;
}

/* One packet on the session socket.  Returns 1 when the session is gone. */
static int
session_on_packet(
    struct tftp_session *t, const uint8_t *buf, size_t len, const struct sockaddr_in *from)
{
	char msg[TFTP_ERRMSG_MAX + 1];
	uint16_t op = 0, v;

	if (from->sin_addr.s_addr != t->peer.sin_addr.s_addr ||
	    from->sin_port != t->peer.sin_port) {
		send_error_on(t->server, t->sock, from, TFTP_EBADID, "Unknown transfer ID");
		return 0;
	}
	(void)tftp_packet_opcode(buf, len, &op);
	if (op == TFTP_ACK && tftp_ack_parse(buf, len, &v) == 0)
		return session_on_ack(t, v);
	if (op == TFTP_ERROR && tftp_error_parse(buf, len, &v, msg) == 0) {
		char fields[TFTP_FILENAME_MAX + 160];

		session_failed(t, fields, sizeof(fields));
		log_info(fields, "Client %s cancelled the transfer of \"%s\" with error %u \"%s\"",
		    t->client, t->file, v, msg);
		session_free(t);
		return 1;
	}
	session_abort(t, TFTP_EBADOP, "Illegal TFTP operation");
	return 1;
}

/* Retransmit timeout.  Returns 1 when the session is gone. */
static int
session_on_timeout(struct tftp_session *t)
{
	int r;

	if (t->tries >= t->retries) {
		char fields[TFTP_FILENAME_MAX + 160];

		session_failed(t, fields, sizeof(fields));
		log_warn(fields,
		    "Giving up on %s: no answer after %u retransmits of \"%s\" (block %" PRIu64 ")",
		    t->client, t->tries, t->file, t->acked + 1);
		t->server->stats->timeouts++;
		session_free(t);
		return 1;
	}
	t->tries++;
	if (t->oack_pending) {
		t->server->stats->retransmits++;
		r = session_send_oack(t);
	} else {
		r = session_send_window(t);
	}
	if (r < 0) {
		session_abort(t, TFTP_EUNDEF, "Read error");
		return 1;
	}
	return 0;
}

/*
 * The timer fires at t->deadline.  Each DATA sent moves the deadline later
 * and leaves the timer as it is: a timer that fires before the deadline
 * re-arms for the rest (session_timer_cb).  So a block costs no timer
 * update: one recvfrom and one sendto (libevent's own timeout of a
 * persistent event would be re-added on every callback).
 */
static void
session_arm(struct tftp_session *t)
{
	struct timespec n = now_mono();
	long long ns = (long long)(t->deadline.tv_sec - n.tv_sec) * 1000000000LL +
	               (t->deadline.tv_nsec - n.tv_nsec);
	struct timeval tv;

	if (ns < 1000)
		ns = 1000;
	tv.tv_sec = (time_t)(ns / 1000000000LL);
	tv.tv_usec = (suseconds_t)(ns % 1000000000LL / 1000);
	evtimer_add(&t->timer, &tv);
}

static bool
deadline_passed(const struct tftp_session *t)
{
	struct timespec n = now_mono();

	return n.tv_sec > t->deadline.tv_sec ||
	       (n.tv_sec == t->deadline.tv_sec && n.tv_nsec >= t->deadline.tv_nsec);
}

/*
 * One turn of a session.  Its event is edge-triggered, so that the loop's
 * frequent polls (SERVER_BULK_USEC) do not walk every readable session.  A
 * turn reads until the socket is empty, or until a window went out (so one
 * callback sends at most one window, tftp.max_windowsize blocks: what is
 * left is older than that window, and the client's next packet, or the
 * timer, brings the session back), or for TFTP_SESSION_BATCH packets, after
 * which it queues itself for another turn after the others.
 */
static void
session_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_session *t = arg;
	uint64_t sent = t->sent;
	uint8_t buf[1024];
	int i;

	(void)what;
	for (i = 0; i < TFTP_SESSION_BATCH && t->sent == sent; i++) {
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);

		if (n < 0)
			break;
		if (flen != sizeof(from) || from.sin_family != AF_INET)
			continue;
		if (session_on_packet(t, buf, (size_t)n, &from) > 0)
			return;
	}
	if (i == TFTP_SESSION_BATCH)
		event_active(&t->ev, EV_READ, 0);
}

static void
session_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_session *t = arg;

	(void)fd;
	(void)what;
	if (deadline_passed(t) && session_on_timeout(t) > 0)
		return;
	session_arm(t);
}

static int
session_start(struct tftp_session *t)
{
	int r;

	if (t->params.options != 0) {
		t->oack_pending = true;
		r = session_send_oack(t);
	} else {
		r = session_send_window(t);
	}
	if (r < 0)
		return r;
	if (event_add(&t->ev, NULL) < 0)
		return -ENOMEM;
	session_arm(t);
	return 0;
}

static unsigned
cfg_or(unsigned v, unsigned def)
{
	return v != 0 ? v : def;
}

/* netascii's converted size of the file, by reading it all: 0 or -errno. */
static int
netascii_scan(struct tftp_session *t)
{
	uint8_t chunk[16384];
	uint64_t off = 0, total = 0;

	while (off < t->size) {
		size_t want =
		    t->size - off < sizeof(chunk) ? (size_t)(t->size - off) : sizeof(chunk);
		ssize_t n = pread(t->fd, chunk, want, (off_t)off);

		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		total += netascii_size(chunk, (size_t)n);
		off += (uint64_t)n;
	}
	t->tsize = total;
	return 0;
}

/*
 * A netascii transfer: the block states and the input buffer; the last block
 * is known when it is converted.  tsize is the converted size, scanned here
 * up to TFTP_NETASCII_TSIZE_MAX; for a larger file it is not acknowledged.
 */
static int
session_netascii_init(struct tftp_session *t)
{
	t->nmarks = (size_t)t->params.windowsize + 1;
	t->marks = calloc(t->nmarks, sizeof(*t->marks)); /* block 1 starts at offset 0 */
	t->ascii_in = malloc(t->params.blksize);
	if (t->marks == NULL || t->ascii_in == NULL)
		return -ENOMEM;
	t->nblocks = UINT64_MAX;
	if ((t->params.options & (1u << TFTP_OPT_TSIZE)) &&
	    (t->size > TFTP_NETASCII_TSIZE_MAX || netascii_scan(t) < 0))
		t->params.options &= ~(1u << TFTP_OPT_TSIZE);
	return 0;
}

/* Create a session for an opened file; takes the fd.  0 or -errno. */
static int
session_new(struct tftp_server *s, const struct tftp_origin *o, const struct tftp_request *req,
    int fd, off_t size, bool loader)
{
	const struct config *c = s->srv->cfg;
	struct tftp_limits lim = {c->tftp.max_blksize, c->tftp.max_windowsize};
	struct tftp_session *t = calloc(1, sizeof(*t));
	int r;

	if (t == NULL) {
		close(fd);
		return -ENOMEM;
	}
	*t = (struct tftp_session){.fd = fd,
	    .sock = -1,
	    .peer = o->peer,
	    .size = (uint64_t)size,
	    .tsize = (uint64_t)size,
	    .loader = loader};
	tftp_negotiate(req, &lim, &t->params);
	t->nblocks = t->size / t->params.blksize + 1;
	r = req->mode == TFTP_MODE_NETASCII ? session_netascii_init(t) : 0;
	if (req->mode != TFTP_MODE_NETASCII && (t->cached = tftp_cache_get(s->cache, fd)) != NULL)
		t->cache = s->cache;
	t->timeout = t->params.timeout != 0 ? t->params.timeout : cfg_or(c->tftp.timeout, 1);
	t->retries = c->tftp.retries;
	t->start = now_mono();
	memcpy(t->client, o->client, sizeof(t->client));
	snprintf(t->file, sizeof(t->file), "%s", req->filename);
	t->bufsize = TFTP_HEADER_LEN + (t->params.blksize > 512 ? t->params.blksize : 512);
	t->buf = malloc(t->bufsize);
	t->sock = r < 0 ? r : session_socket(o->local);
	if (t->buf == NULL || t->sock < 0) {
		r = t->sock < 0 ? t->sock : -ENOMEM;
		if (t->sock >= 0)
			close(t->sock);
		t->sock = -1;
		session_free(t);
		return r;
	}
	event_assign(&t->ev, s->srv->base, t->sock, EV_READ | EV_PERSIST | EV_ET, session_cb, t);
	event_priority_set(&t->ev, SERVER_PRIO_BULK);
	evtimer_assign(&t->timer, s->srv->base, session_timer_cb, t);
	event_priority_set(&t->timer, SERVER_PRIO_BULK);
	t->server = s;
	LIST_INSERT_HEAD(&s->sessions, t, link);
	s->stats->active++;
	if ((r = session_start(t)) < 0)
		session_free(t);
	return r;
}

/*
 * "images/<name>/<file>": an image's kernel, initrd, rootfs.squashfs or
 * (an EFI image, for PXE ROMs) boot.efi, through the store.
 */
static int
open_image(struct server *srv, const char *path, off_t *ret_size)
{
	char name[NAME_MAX_LEN + 1];
	const char *slash;

	path += strlen("images/");
	slash = strchr(path, '/');
	if (slash == NULL || (size_t)(slash - path) > NAME_MAX_LEN)
		return -ENOENT;
	memcpy(name, path, (size_t)(slash - path));
	name[slash - path] = '\0';
	if (!name_valid(name))
		return -ENOENT;
	for (size_t f = 0; f < MANIFEST_N_IDS; f++)
		if (strcmp(slash + 1, manifest_file_names[f]) == 0)
			return store_image_open(srv->store, name, (enum manifest_file)f, ret_size);
	return -ENOENT;
}

/* A GRUB configuration (daemon/grub.h), in a memfd. */
static int
open_grub_cfg(struct server *srv, const struct tftp_origin *o, const char *path, off_t *ret_size)
{
	_cleanup_free_ char *text = NULL;
	struct grub_request rq = {.path = path,
	    .client = o->peer.sin_addr,
	    .local = o->local,
	    .ifindex = o->ifindex,
	    .peer = o->client};
	size_t len;
	int r = grub_serve(srv, &rq, &text, &len);

	if (r < 0)
		return r == -ENOENT ? r : -EIO;
	*ret_size = (off_t)len;
	return fs_memfd("grub.cfg", text, len);
}

/* netbootd's address for its GRUB, "10.0.0.2:8090", as seen from this request. */
static int
open_loader_dir(struct server *srv, const struct tftp_origin *o, const char *path, off_t *ret_size)
{
	char addr[INET_ADDRSTRLEN], server[INET_ADDRSTRLEN + 8];
	struct in_addr a;
	int r = iface_advertise(srv->cfg, o->ifindex, o->local, &a);

	if (r < 0)
		return r;
	inet_ntop(AF_INET, &a, addr, sizeof(addr));
	snprintf(server, sizeof(server), "%s:%u", addr, srv->cfg->http.port);
	return loader_open_dir(srv, path + strlen("loaders/"), server, false, ret_size);
}

/* Open a requested file per the TFTP namespace.  fd or -errno. */
static int
open_file(struct server *srv, const struct tftp_origin *o, const char *path, off_t *ret_size)
{
	_cleanup_free_ char *root = NULL;

	if (loader_known(srv, path))
		return loader_open(srv, path, ret_size);
	if (strncmp(path, "loaders/", 8) == 0 && srv->cfg->loaders.dir != NULL)
		return open_loader_dir(srv, o, path, ret_size);
	if (grub_path(path))
		return open_grub_cfg(srv, o, path, ret_size);
	if (strncmp(path, "images/", 7) == 0)
		return open_image(srv, path, ret_size);
	root = config_tftp_root(srv->cfg);
	if (root == NULL)
		return -ENOMEM;
	return fs_open_beneath(root, path, ret_size);
}

static void
refuse(struct tftp_server *s, const struct tftp_origin *o, const struct tftp_request *req,
    uint16_t code, const char *msg)
{
	log_info(NULL, "Refused \"%s\" to %s: %s", req->filename, o->client, msg);
	reply_error(s, o, code, msg);
}

static void
refuse_open_error(
    struct tftp_server *s, const struct tftp_origin *o, const struct tftp_request *req, int err)
{
	switch (err) {
	case -ENOENT:
		refuse(s, o, req, TFTP_ENOTFOUND, "File not found");
		break;
	case -EACCES:
		refuse(s, o, req, TFTP_EACCESS, "Access violation");
		break;
	case -EISDIR:
		refuse(s, o, req, TFTP_EACCESS, "Not a regular file");
		break;
	default:
		refuse(s, o, req, TFTP_EUNDEF, "Cannot open the file");
		break;
	}
}

/* Checks on a parsed request before any file is opened.  0 to go on. */
static int
request_check(struct tftp_server *s, const struct tftp_origin *o, const struct tftp_request *req)
{
	unsigned cap = cfg_or(s->srv->cfg->tftp.max_sessions, TFTP_DEFAULT_MAX_SESSIONS);

	if (req->opcode == TFTP_WRQ)
		refuse(s, o, req, TFTP_EACCESS, "Read-only server");
	else if (req->mode == TFTP_MODE_MAIL)
		refuse(s, o, req, TFTP_EBADOP, "Mail mode is not supported");
	else if (s->stats->active >= cap) {
		log_warn(NULL, "Refused \"%s\" to %s: %u transfers are running (tftp.max_sessions)",
		    req->filename, o->client, s->stats->active);
		reply_error(s, o, TFTP_EUNDEF, "Too many transfers, try again later");
	} else
		return 0;
	return -EPERM;
}

static void
handle_request(struct tftp_server *s, const struct tftp_origin *o, const uint8_t *buf, size_t len)
{
	struct tftp_request req;
	const char *path;
	off_t size;
	int fd, r;

	if (tftp_request_parse(buf, len, &req) < 0) {
		log_debug(NULL, "Malformed request from %s, ignoring", o->client);
		reply_error(s, o, TFTP_EBADOP, "Malformed request");
		return;
	}
	if (request_check(s, o, &req) < 0)
		return;
	if (tftp_filename_path(req.filename, &path) < 0) {
		refuse(s, o, &req, TFTP_EACCESS, "Access violation");
		return;
	}
	fd = open_file(s->srv, o, path, &size);
	if (fd < 0) {
		refuse_open_error(s, o, &req, fd);
		return;
	}
	log_debug(
	    NULL, "Sending \"%s\" (%lld bytes) to %s", req.filename, (long long)size, o->client);
	if ((r = session_new(s, o, &req, fd, size,
	         loader_known(s->srv, path) || strncmp(path, "loaders/", 8) == 0)) < 0) {
		log_err(NULL, "Cannot start a transfer to %s: %s", o->client, strerror(-r));
		reply_error(s, o, TFTP_EUNDEF, "Server error");
	}
}

/*
 * A request from the address and port of a running transfer is the client
 * asking again because the first answer was slow: that session's own timer
 * answers it, a second session would only send the file twice.
 */
static bool
request_repeated(struct tftp_server *s, const struct tftp_origin *o)
{
	struct tftp_session *t;

	LIST_FOREACH(t, &s->sessions, link)
	if (t->peer.sin_addr.s_addr == o->peer.sin_addr.s_addr &&
	    t->peer.sin_port == o->peer.sin_port)
		return true;
	return false;
}

static void
handle_packet(struct tftp_server *s, const struct tftp_origin *o, const uint8_t *buf, size_t len)
{
	uint16_t op;

	if (tftp_packet_opcode(buf, len, &op) < 0 || op == TFTP_ERROR) {
		log_debug(NULL, "Ignoring a stray packet from %s", o->client);
		return;
	}
	if (op != TFTP_RRQ && op != TFTP_WRQ) {
		log_debug(NULL, "Opcode %u from %s on the listening port, ignoring", op, o->client);
		reply_error(s, o, TFTP_EBADOP, "Illegal TFTP operation");
		return;
	}
	if (op == TFTP_RRQ && request_repeated(s, o)) {
		log_debug(
		    NULL, "Repeated request from %s, its transfer is running, ignoring", o->client);
		return;
	}
	s->stats->requests++;
	handle_request(s, o, buf, len);
}

/* Receive one datagram with its IP_PKTINFO.  Length, or -errno. */
static ssize_t
recv_request(int sock, uint8_t *buf, size_t size, struct tftp_origin *o)
{
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} cbuf;
	struct iovec iov = {buf, size};
	struct msghdr m = {.msg_name = &o->peer,
	    .msg_namelen = sizeof(o->peer),
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = &cbuf,
	    .msg_controllen = sizeof(cbuf)};
	ssize_t n = recvmsg(sock, &m, 0);

	if (n < 0)
		return -errno;
	o->ifindex = 0;
	o->local.s_addr = htonl(INADDR_ANY);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			o->ifindex = pi.ipi_ifindex;
			o->local = pi.ipi_spec_dst;
		}
	format_client(&o->peer, o->client);
	return n;
}

static void
listen_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_server *s = arg;
	uint8_t buf[2048];

	(void)what;
	for (int i = 0; i < TFTP_LISTEN_BATCH; i++) {
		struct tftp_origin o;
		ssize_t n = recv_request(fd, buf, sizeof(buf), &o);

		if (n < 0)
			break;
		if (o.peer.sin_family != AF_INET || o.peer.sin_port == 0)
			continue;
		if (!iface_served(s->srv->cfg, o.ifindex)) {
			log_debug(NULL, "Request from %s on interface %d, not served, ignoring",
			    o.client, o.ifindex);
			continue;
		}
		handle_packet(s, &o, buf, (size_t)n);
	}
}

static int
listen_socket(uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	_cleanup_close_ int fd = -1;
	int on = 1, rcvbuf = TFTP_LISTEN_RCVBUF;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* No SO_REUSEADDR: a second server on the port must fail, not share it. */
	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0)
		return -errno;
	/* Best effort: beyond net.core.rmem_max only with CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

int
tftp_server_new(struct server *srv, struct tftp_server **ret)
{
	struct tftp_server *s = calloc(1, sizeof(*s));
	uint16_t port = srv->cfg->tftp.port != 0 ? srv->cfg->tftp.port : 69;

	if (s == NULL)
		return -ENOMEM;
	s->srv = srv;
	s->stats = &srv->stats.tftp;
	LIST_INIT(&s->sessions);
	if ((s->cache = tftp_cache_new()) == NULL) {
		free(s);
		return -ENOMEM;
	}
	s->sock = listen_socket(port);
	if (s->sock < 0) {
		int r = s->sock;

		log_err(NULL, "Cannot listen on TFTP port %u: %s", port, strerror(-r));
		tftp_cache_free(s->cache);
		free(s);
		return r;
	}
	s->ev = event_new(srv->base, s->sock, EV_READ | EV_PERSIST, listen_cb, s);
	if (s->ev == NULL || event_priority_set(s->ev, SERVER_PRIO_BULK) < 0 ||
	    event_add(s->ev, NULL) < 0) {
		log_err(NULL, "Cannot register the TFTP socket with the event loop");
		tftp_server_free(s);
		return -ENOMEM;
	}
	log_info(NULL, "TFTP listening on port %u", port);
	*ret = s;
	return 0;
}

void
tftp_server_free(struct tftp_server *s)
{
	if (s == NULL)
		return;
	while (!LIST_EMPTY(&s->sessions))
		session_free(LIST_FIRST(&s->sessions));
	s->stats->active = 0;
	if (s->ev != NULL)
		event_free(s->ev);
	if (s->sock >= 0)
		close(s->sock);
	tftp_cache_free(s->cache);
	free(s);
}
