/*
 * The syslog receiver: one UDP socket, a token bucket per sender address,
 * a ring of lines per machine, and the subscribers of `netbootctl logs -f`.
 */
#include "syslog-recv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "clock.h"
#include "iface.h"
#include "log.h"
#include "progress.h"
#include "util.h"

#define SL_RECV_BUF     65536         /* a UDP datagram's most */
#define SL_MAX_PER_WAKE 64            /* datagrams read per wake-up before yielding */
#define SL_MILLI        1000          /* bucket tokens are thousandths of a line */
#define SL_RCVBUF       (1024 * 1024) /* asked for: bursts wait in the kernel (rmem_max caps it) */

/* A sender address and its token bucket. */
struct sl_sender {
	struct in_addr addr;
	int64_t tokens;  /* thousandths of a line */
	int64_t last_ms; /* CLOCK_MONOTONIC */
	bool limited;    /* dropping now (logged once per flood) */
};

/* A machine's last lines: slots[(head + i) % cap] for i < n, oldest first. */
struct sl_ring {
	uint8_t mac[MAC_LEN];
	struct syslog_line **slots;
	size_t head, n;
	int64_t last_ms; /* CLOCK_MONOTONIC of the last line */
};

struct syslog_sub {
	struct syslog *s;
	bool has_mac;
	uint8_t mac[MAC_LEN];
	syslog_watch_fn fn;
	void *userdata;
	struct syslog_sub *next, **pprev;
};

struct syslog {
	struct server *srv;
	struct syslog_stats *stats;
	int fd;
	struct event ev;
	bool armed;
	uint16_t port;
	unsigned ring_lines, max_line; /* of the kept lines */
	struct sl_ring *rings[SYSLOG_MAX_MACHINES];
	size_t n_rings;
	size_t bytes; /* of the kept lines */
	struct sl_sender senders[SYSLOG_MAX_SENDERS];
	size_t n_senders;
	struct syslog_sub *subs;
	uint8_t *buf; /* SL_RECV_BUF */
	char *text;   /* max_line + 1 */
};

static size_t
line_size(const struct syslog_line *l)
{
	return sizeof(*l) + l->m.msg_len + 1;
}

/* Drop the oldest line of a ring. */
static void
ring_pop(struct syslog *s, struct sl_ring *r)
{
	struct syslog_line *l = r->slots[r->head];

	s->bytes -= line_size(l);
	s->stats->bytes = s->bytes;
	free(l);
	r->slots[r->head] = NULL;
	r->head = (r->head + 1) % s->ring_lines;
	r->n--;
}

static void
ring_free(struct syslog *s, struct sl_ring *r)
{
	while (r->n > 0)
		ring_pop(s, r);
	free(r->slots);
	free(r);
}

static void
rings_clear(struct syslog *s)
{
	for (size_t i = 0; i < s->n_rings; i++)
		ring_free(s, s->rings[i]);
	s->n_rings = 0;
	s->stats->machines = 0;
}

static struct sl_ring *
ring_find(const struct syslog *s, const uint8_t mac[MAC_LEN], size_t *ret_index)
{
	for (size_t i = 0; i < s->n_rings; i++)
		if (memcmp(s->rings[i]->mac, mac, MAC_LEN) == 0) {
			if (ret_index != NULL)
				*ret_index = i;
			return s->rings[i];
		}
	return NULL;
}

/* The ring heard from least recently, other than 'keep' (and with lines if 'with_lines'). */
static size_t
ring_oldest(const struct syslog *s, const struct sl_ring *keep, bool with_lines)
{
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < s->n_rings; i++) {
		const struct sl_ring *r = s->rings[i];

		if (r == keep || (with_lines && r->n == 0))
			continue;
		if (best == SIZE_MAX || r->last_ms < s->rings[best]->last_ms)
			best = i;
	}
	return best;
}

static void
ring_remove(struct syslog *s, size_t i)
{
	ring_free(s, s->rings[i]);
	s->rings[i] = s->rings[--s->n_rings];
	s->stats->machines = s->n_rings;
}

/* The ring of 'mac', made (dropping the least recently heard-from machine at the cap). */
static struct sl_ring *
ring_get(struct syslog *s, const uint8_t mac[MAC_LEN])
{
	struct sl_ring *r = ring_find(s, mac, NULL);

	if (r != NULL)
		return r;
	if (s->n_rings == SYSLOG_MAX_MACHINES)
		ring_remove(s, ring_oldest(s, NULL, false));
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->slots = calloc(s->ring_lines, sizeof(*r->slots));
	if (r->slots == NULL) {
		free(r);
		return NULL;
	}
	memcpy(r->mac, mac, MAC_LEN);
	s->rings[s->n_rings++] = r;
	s->stats->machines = s->n_rings;
	return r;
}

/* Make room for 'size' more bytes: the oldest lines of the least recently heard-from go. */
static void
make_room(struct syslog *s, struct sl_ring *r, size_t size)
{
	while (s->bytes + size > SYSLOG_MAX_BYTES) {
		size_t i = ring_oldest(s, r, true);
		struct sl_ring *victim = i != SIZE_MAX ? s->rings[i] : r;

		if (victim->n == 0)
			return;
		ring_pop(s, victim);
		s->stats->evicted++;
	}
}

/* Keep a copy of the line in the machine's ring; NULL on out-of-memory. */
static const struct syslog_line *
ring_add(struct syslog *s, const struct syslog_line *tmpl)
{
	struct sl_ring *r = ring_get(s, tmpl->mac);
	struct syslog_line *l;
	size_t size = line_size(tmpl);

	if (r == NULL || (l = malloc(size)) == NULL)
		return NULL;
	memcpy(l, tmpl, sizeof(*l));
	memcpy(l->text, tmpl->m.msg, tmpl->m.msg_len + 1);
	l->m.msg = l->text;
	make_room(s, r, size);
	if (r->n == s->ring_lines)
		ring_pop(s, r);
	r->slots[(r->head + r->n) % s->ring_lines] = l;
	r->n++;
	r->last_ms = clock_ms(CLOCK_MONOTONIC);
	s->bytes += size;
	s->stats->bytes = s->bytes;
	return l;
}

/* The bucket of 'addr' (the least recently used one is taken over at the cap). */
static struct sl_sender *
sender_get(struct syslog *s, struct in_addr addr, int64_t now)
{
	size_t oldest = 0;

	for (size_t i = 0; i < s->n_senders; i++) {
		if (s->senders[i].addr.s_addr == addr.s_addr)
			return &s->senders[i];
		if (s->senders[i].last_ms < s->senders[oldest].last_ms)
			oldest = i;
	}
	if (s->n_senders < SYSLOG_MAX_SENDERS)
		oldest = s->n_senders++;
	s->senders[oldest] = (struct sl_sender){
	    .addr = addr, .tokens = (int64_t)SYSLOG_BURST * SL_MILLI, .last_ms = now};
	return &s->senders[oldest];
}

/* Take one line's token from the sender's bucket: false when it is empty. */
static bool
sender_take(struct syslog *s, struct in_addr addr)
{
	int64_t now = clock_ms(CLOCK_MONOTONIC);
	struct sl_sender *b = sender_get(s, addr, now);
	char ip[INET_ADDRSTRLEN];

	b->tokens += (now - b->last_ms) * SYSLOG_RATE; /* SYSLOG_RATE thousandths a millisecond */
	if (b->tokens >= (int64_t)SYSLOG_BURST * SL_MILLI) {
		b->tokens = (int64_t)SYSLOG_BURST * SL_MILLI;
		b->limited = false; /* a full bucket: the flood, if any, is over */
	}
	b->last_ms = now;
	if (b->tokens >= SL_MILLI) {
		b->tokens -= SL_MILLI;
		return true;
	}
	if (!b->limited)
		log_notice(NULL, "Syslog flood from %s: dropping its lines above %d a second",
		    inet_ntop(AF_INET, &addr, ip, sizeof(ip)), SYSLOG_RATE);
	b->limited = true;
	return false;
}

static void
notify(struct syslog *s, const struct syslog_line *l)
{
	struct syslog_sub *next;

	for (struct syslog_sub *sub = s->subs; sub != NULL; sub = next) {
		next = sub->next;
		if (!sub->has_mac || memcmp(sub->mac, l->mac, MAC_LEN) == 0)
			sub->fn(l, sub->userdata);
	}
}

/* The journal: the machine's line at info level, its facts in fields. */
static void
log_line(const struct syslog_line *l, const char *mac, const char *ip)
{
	const struct syslog_msg *m = &l->m;
	char fields[512];

	snprintf(fields, sizeof(fields),
	    "NETBOOT_MAC=%s\nCLIENT=%s\nNETBOOT_SYSLOG_HOST=%s\nNETBOOT_SYSLOG_APP=%s\n"
	    "NETBOOT_SYSLOG_FACILITY=%s\nNETBOOT_SYSLOG_SEVERITY=%s",
	    mac, ip, m->hostname, m->app, syslog_facility_name(m->facility),
	    syslog_severity_name(m->severity));
	log_info(fields, "%s %s%s%s%s%s%s", mac, m->app, m->procid[0] != '\0' ? "[" : "", m->procid,
	    m->procid[0] != '\0' ? "]" : "", m->app[0] != '\0' ? ": " : "", m->msg);
}

/* A parsed line: kept for its machine, or counted when the sender is unknown. */
static void
keep_line(struct syslog *s, struct syslog_line *l)
{
	char mac[MAC_STRLEN], ip[INET_ADDRSTRLEN], fields[32];
	const struct syslog_line *kept;

	inet_ntop(AF_INET, &l->client, ip, sizeof(ip));
	if (s->srv->progress == NULL || progress_mac_of(s->srv->progress, l->client, l->mac) < 0) {
		s->stats->unknown++;
		snprintf(fields, sizeof(fields), "CLIENT=%s", ip);
		log_debug(
		    fields, "Syslog line from %s, which is no known machine: %s", ip, l->m.msg);
		return;
	}
	mac_format(l->mac, ':', mac);
	s->stats->lines++;
	log_line(l, mac, ip);
	kept = ring_add(s, l);
	if (kept == NULL) {
		log_warn(NULL, "Out of memory for a syslog line of %s, ignoring", mac);
		return;
	}
	notify(s, kept);
}

static void
handle_datagram(struct syslog *s, size_t len, struct in_addr from, int ifindex)
{
	struct syslog_line l = {.time_ms = clock_ms(CLOCK_REALTIME), .client = from};

	if (!iface_allowed(s->srv->cfg, ifindex)) {
		s->stats->ignored_iface++;
		return;
	}
	if (!sender_take(s, from)) {
		s->stats->rate_limited++;
		return;
	}
	if (syslog_msg_parse(s->buf, len, s->text, s->max_line + 1, &l.m) < 0) {
		s->stats->empty++;
		return;
	}
	s->stats->truncated += l.m.truncated;
	s->stats->escaped += l.m.escaped;
	keep_line(s, &l);
}

/* One datagram: 1 with *ret_len bytes, 0 when drained, -errno. */
static int
receive_one(struct syslog *s, size_t *ret_len, struct in_addr *ret_from, int *ret_ifindex)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} control;
	struct sockaddr_in from = {0};
	struct iovec iov = {.iov_base = s->buf, .iov_len = SL_RECV_BUF};
	struct msghdr msg = {.msg_name = &from,
	    .msg_namelen = sizeof(from),
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = control.buf,
	    .msg_controllen = sizeof(control.buf)};
	ssize_t n = recvmsg(s->fd, &msg, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	*ret_ifindex = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			*ret_ifindex = pi.ipi_ifindex;
		}
	*ret_len = (size_t)n;
	*ret_from = from.sin_addr;
	return 1;
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct syslog *s = arg;
	struct in_addr from;
	size_t len = 0;
	int ifindex = 0, r;

	(void)fd;
	(void)what;
	for (unsigned i = 0; i < SL_MAX_PER_WAKE; i++) {
		r = receive_one(s, &len, &from, &ifindex);
		if (r < 0)
			log_warn(NULL, "Cannot receive on the syslog socket: %s, ignoring",
			    strerror(-r));
		if (r <= 0)
			return;
		s->stats->received++;
		handle_datagram(s, len, from, ifindex);
	}
}

static void
socket_close(struct syslog *s)
{
	if (s->armed)
		event_del(&s->ev);
	s->armed = false;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int
socket_open(struct syslog *s, uint16_t port)
{
	int r = iface_udp_open(port, 0, SL_RCVBUF, &s->fd);

	if (r < 0) {
		log_err(NULL, "Cannot listen on UDP port %u for syslog: %s", port, strerror(-r));
		return r;
	}
	if (event_assign(&s->ev, s->srv->base, s->fd, EV_READ | EV_PERSIST, on_readable, s) < 0 ||
	    event_add(&s->ev, NULL) < 0) {
		log_err(NULL, "Cannot register the syslog socket on port %u", port);
		socket_close(s);
		return -ENOMEM;
	}
	s->armed = true;
	s->port = port;
	log_info(NULL, "Syslog receiver listening on UDP port %u", port);
	return 0;
}

/* New line sizes: the kept lines go, and the text buffer follows max_line. */
static int
set_sizes(struct syslog *s, unsigned ring_lines, unsigned max_line)
{
	char *text;

	if (s->text != NULL && ring_lines == s->ring_lines && max_line == s->max_line)
		return 0;
	text = malloc(max_line + 1);
	if (text == NULL)
		return -ENOMEM;
	rings_clear(s);
	free(s->text);
	s->text = text;
	s->ring_lines = ring_lines;
	s->max_line = max_line;
	return 0;
}

int
syslog_apply(struct syslog *s, bool reopen)
{
	const struct config *c = s->srv->cfg;
	int r;

	if (!c->syslog.enabled) {
		if (s->armed)
			log_info(NULL, "Syslog receiver stopped");
		socket_close(s);
		rings_clear(s);
		return 0;
	}
	if ((r = set_sizes(s, c->syslog.ring_lines, c->syslog.max_line)) < 0)
		return r;
	if (s->armed && !reopen && s->port == c->syslog.port)
		return 0;
	socket_close(s);
	return socket_open(s, c->syslog.port);
}

bool
syslog_listening(const struct syslog *s)
{
	return s != NULL && s->armed;
}

int
syslog_new(struct server *srv, struct syslog **ret)
{
	struct syslog *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return -ENOMEM;
	s->srv = srv;
	s->stats = &srv->stats.syslog;
	s->fd = -1;
	s->buf = malloc(SL_RECV_BUF);
	if (s->buf == NULL) {
		free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

void
syslog_free(struct syslog *s)
{
	if (s == NULL)
		return;
	socket_close(s);
	rings_clear(s);
	while (s->subs != NULL)
		syslog_unsubscribe(s->subs);
	free(s->buf);
	free(s->text);
	free(s);
}

void
syslog_foreach(const struct syslog *s, const uint8_t mac[MAC_LEN], int64_t since_ms,
    syslog_watch_fn fn, void *userdata)
{
	const struct sl_ring *r = s != NULL ? ring_find(s, mac, NULL) : NULL;

	for (size_t i = 0; r != NULL && i < r->n; i++) {
		const struct syslog_line *l = r->slots[(r->head + i) % s->ring_lines];

		if (l->time_ms >= since_ms)
			fn(l, userdata);
	}
}

int
syslog_subscribe(struct syslog *s, const uint8_t *mac, syslog_watch_fn fn, void *userdata,
    struct syslog_sub **ret)
{
	struct syslog_sub *sub = calloc(1, sizeof(*sub));

	if (sub == NULL)
		return -ENOMEM;
	*sub = (struct syslog_sub){
	    .s = s, .has_mac = mac != NULL, .fn = fn, .userdata = userdata, .next = s->subs};
	if (mac != NULL)
		memcpy(sub->mac, mac, MAC_LEN);
	if (s->subs != NULL)
		s->subs->pprev = &sub->next;
	sub->pprev = &s->subs;
	s->subs = sub;
	*ret = sub;
	return 0;
}

void
syslog_unsubscribe(struct syslog_sub *sub)
{
	if (sub == NULL)
		return;
	*sub->pprev = sub->next;
	if (sub->next != NULL)
		sub->next->pprev = sub->pprev;
	free(sub);
}
