/*
 * A boot storm: N network-booting machines at once, each doing what UEFI PXE
 * firmware and then iPXE do, against whatever ProxyDHCP, TFTP and HTTP
 * servers answer (netbootd, or dnsmasq and nginx):
 *
 *   1. DHCPDISCOVER from 0.0.0.0:68 to 255.255.255.255:67 (an Ethernet frame
 *      of its own MAC through AF_PACKET; vendor class PXEClient, arch 7),
 *      the ProxyDHCP OFFER (broadcast back to port 68);
 *   2. unless the offer says "boot the file" (option 43 discovery control
 *      bit 3), a DHCPREQUEST from the machine's address to the server's port
 *      4011 and its ACK, as OVMF does;
 *   3. the boot file over TFTP (blksize 1468, tsize), compared with LOADER;
 *   4. 1 and 2 again as iPXE (user class "iPXE", option 175): the offer or
 *      ACK carries the script URL;
 *   5. HTTP/1.1 on one keep-alive connection: the script, then the URLs of
 *      its "kernel" and "initrd" lines, each body counted (MSG_TRUNC) against
 *      its Content-Length and the expected size.
 *
 * Every DHCP exchange's latency is from its first transmission to the
 * kernel's receive timestamp of the answer (SO_TIMESTAMPNS), so this
 * program's own loop delays are not counted.  Retransmissions like edk2's
 * PXE (DHCP after 4, 8, 16, 32 s; TFTP after 4 s, 6 times) and iPXE (DHCP
 * after 1, 2, 4, 8 s).  One thread, epoll,
 * nonblocking sockets; each machine binds its own address (FIRST + i).
 *
 *   boot-storm -i IFACE -a FIRST -n N -l LOADER -k KERNEL_SIZE -r INITRD_SIZE
 *              [-R RAMP_MS] [-T TIMEOUT_S]
 *
 * Prints one line "RESULT key=value ..." and, on stderr, why machines failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DHCP_TRIES     4
#define TFTP_TRIES     6 /* edk2: PXEBC_MTFTP_RETRIES */
#define TFTP_TIMEOUT   4 /* seconds, edk2: PXEBC_MTFTP_TIMEOUT */
#define TFTP_BLKSIZE   1468
#define HTTP_HDR_MAX   8192
#define SCRIPT_MAX     65536
#define URL_MAX        512
#define EXCHANGES      4 /* DHCP exchanges per machine at most */
#define TAG_DHCP       UINT32_MAX
#define COOKIE         0x63825363u
#define OPT43_BOOTFILE 0x08

enum phase {
	PH_WAIT,     /* not powered on yet */
	PH_DISCOVER, /* waiting for the OFFER */
	PH_REQUEST,  /* waiting for the ACK from port 4011 */
	PH_TFTP,
	PH_HTTP,
	PH_DONE,
	PH_FAILED,
};

enum http_step { HS_SCRIPT, HS_KERNEL, HS_INITRD, HS_N };

struct machine {
	unsigned idx;
	uint8_t mac[6];
	struct in_addr addr;
	enum phase phase;
	bool ipxe;       /* second round of DHCP: as iPXE */
	unsigned tries;  /* of the current DHCP or TFTP step */
	double start;    /* powered on */
	double t_first;  /* first transmission of the current DHCP exchange */
	double deadline; /* retransmit or give up */
	struct in_addr server;
	char file[URL_MAX]; /* boot file from the offer / ACK */
	int udp;
	/* TFTP */
	struct sockaddr_in tid;
	uint16_t block;
	uint64_t got;
	/* HTTP */
	int tcp;
	enum http_step step;
	char url[HS_N][URL_MAX];
	char hdr[HTTP_HDR_MAX];
	size_t hdr_len;
	bool in_body;
	uint64_t body_left, body_len;
	char *script;
	size_t script_len;
	const char *why;                  /* failure */
	double t_tftp0, t_tftp1, t_http0; /* phase boundaries, for the medians */
};

static struct {
	int ifindex;
	int raw, dhcp, ep;
	const uint8_t *loader;
	size_t loader_len;
	uint64_t want[HS_N];
	struct machine *m;
	unsigned n;
	double *lat;
	unsigned n_lat, retransmits, left;
} g;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* SO_TIMESTAMPNS is CLOCK_REALTIME: its age, subtracted from now(). */
static double
stamp_to_mono(const struct timespec *rt)
{
	struct timespec r;

	clock_gettime(CLOCK_REALTIME, &r);
	return now() - ((double)(r.tv_sec - rt->tv_sec) + (double)(r.tv_nsec - rt->tv_nsec) / 1e9);
}

static void
fail(struct machine *m, const char *why)
{
	if (m->phase == PH_DONE || m->phase == PH_FAILED)
		return;
	m->phase = PH_FAILED;
	m->why = why;
	if (m->udp >= 0)
		close(m->udp);
	if (m->tcp >= 0)
		close(m->tcp);
	m->udp = m->tcp = -1;
	g.left--;
}

static void
done(struct machine *m)
{
	m->phase = PH_DONE;
	m->deadline = now(); /* the time it booted */
	close(m->udp);
	close(m->tcp);
	m->udp = m->tcp = -1;
	free(m->script);
	m->script = NULL;
	g.left--;
}

/* ---- DHCP ------------------------------------------------------------------ */

static size_t
opt(uint8_t *p, uint8_t code, const void *data, size_t len)
{
	p[0] = code;
	p[1] = (uint8_t)len;
	memcpy(p + 2, data, len);
	return len + 2;
}

static uint32_t
xid_of(const struct machine *m)
{
	return 0x5a000000u | (m->ipxe ? 0x800000u : 0) | (m->phase == PH_REQUEST ? 0x400000u : 0) |
	       m->idx;
}

/* A BOOTP message of a PXE ROM (or iPXE); its length. */
static size_t
dhcp_build(const struct machine *m, uint8_t msgtype, uint8_t *b)
{
	static const uint8_t prl[] = {1, 3, 6, 43, 54, 60, 66, 67, 97, 128, 175};
	const char *vc =
	    m->ipxe ? "PXEClient:Arch:00007:UNDI:003010" : "PXEClient:Arch:00007:UNDI:003016";
	uint8_t arch[2] = {0, 7}, uuid[17] = {0}, ndi[3] = {1, 3, 16}, t = msgtype;
	uint32_t xid = htonl(xid_of(m)), cookie = htonl(COOKIE);
	size_t n = 240;

	memset(b, 0, 240);
	b[0] = 1;
	b[1] = 1;
	b[2] = 6;
	memcpy(b + 4, &xid, 4);
	if (msgtype == 3)
		memcpy(b + 12, &m->addr, 4); /* ciaddr */
	else
		b[10] = 0x80; /* broadcast flag */
	memcpy(b + 28, m->mac, 6);
	memcpy(b + 236, &cookie, 4);
	memcpy(uuid + 1, m->mac, 6);
	n += opt(b + n, 53, &t, 1);
	n += opt(b + n, 55, prl, sizeof(prl));
	n += opt(b + n, 93, arch, 2);
	n += opt(b + n, 94, ndi, 3);
	n += opt(b + n, 97, uuid, sizeof(uuid));
	n += opt(b + n, 60, vc, strlen(vc));
	if (m->ipxe) {
		n += opt(b + n, 77, "iPXE", 4);
		n += opt(b + n, 175, "\x13\x01\x01\x11\x01\x01", 6);
	}
	b[n++] = 255;
	return n;
}

static uint16_t
ip_sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* DISCOVER as firmware sends it: from 0.0.0.0:68 and the machine's MAC, broadcast. */
static int
send_discover(struct machine *m)
{
	uint8_t f[1500] = {0};
	struct ether_header *eh = (void *)f;
	struct iphdr *ip = (void *)(f + sizeof(*eh));
	struct udphdr *udp = (void *)(ip + 1);
	size_t n = dhcp_build(m, 1, (uint8_t *)(udp + 1));
	struct sockaddr_ll to = {.sll_family = AF_PACKET,
	    .sll_protocol = htons(ETH_P_IP),
	    .sll_ifindex = g.ifindex,
	    .sll_halen = 6};

	memset(eh->ether_dhost, 0xff, 6);
	memcpy(eh->ether_shost, m->mac, 6);
	eh->ether_type = htons(ETH_P_IP);
	*ip = (struct iphdr){.version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP};
	ip->tot_len = htons((uint16_t)(sizeof(*ip) + sizeof(*udp) + n));
	ip->saddr = htonl(INADDR_ANY);
	ip->daddr = htonl(INADDR_BROADCAST);
	ip->check = ip_sum(ip, sizeof(*ip));
	udp->source = htons(68);
	udp->dest = htons(67);
	udp->len = htons((uint16_t)(sizeof(*udp) + n));
	memset(to.sll_addr, 0xff, 6);
	n += sizeof(*eh) + sizeof(*ip) + sizeof(*udp);
	if (sendto(g.raw, f, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

static int
send_request(struct machine *m)
{
	uint8_t b[1024];
	size_t n = dhcp_build(m, 3, b);
	struct sockaddr_in to = {
	    .sin_family = AF_INET, .sin_port = htons(4011), .sin_addr = m->server};

	if (sendto(m->udp, b, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* (Re)send the current DHCP step; the first try starts the latency clock. */
static void
dhcp_send(struct machine *m)
{
	double t = now();
	int r;

	if (m->tries == 0)
		m->t_first = t;
	else
		g.retransmits++;
	if (m->tries >= DHCP_TRIES) {
		fail(m, m->phase == PH_DISCOVER ? "no DHCP offer" : "no ACK from port 4011");
		return;
	}
	r = m->phase == PH_DISCOVER ? send_discover(m) : send_request(m);
	if (r < 0 && r != -EAGAIN && r != -ENOBUFS) {
		fail(m, "cannot send DHCP");
		return;
	}
	m->deadline = t + (double)((m->ipxe ? 1u : 4u) << m->tries);
	m->tries++;
}

struct reply {
	uint32_t xid;
	uint8_t type, chaddr[6];
	struct in_addr server;
	bool bootfile_now; /* option 43 discovery control bit 3 */
	char file[URL_MAX];
};

static void
parse_options(const uint8_t *p, size_t len, struct reply *r)
{
	for (size_t i = 0; i < len && p[i] != 255;) {
		uint8_t code = p[i], l;

		if (code == 0) {
			i++;
			continue;
		}
		if (i + 1 >= len || i + 2 + (l = p[i + 1]) > len)
			return;
		if (code == 53 && l == 1)
			r->type = p[i + 2];
		else if (code == 54 && l == 4)
			memcpy(&r->server, p + i + 2, 4);
		else if (code == 67 && r->file[0] == '\0')
			snprintf(r->file, sizeof(r->file), "%.*s", (int)l, (const char *)p + i + 2);
		else if (code == 43)
			for (size_t j = 0; j + 1 < l; j += 2u + p[i + 3 + j])
				if (p[i + 2 + j] == 6 && p[i + 3 + j] >= 1 && j + 2 < l &&
				    (p[i + 4 + j] & OPT43_BOOTFILE))
					r->bootfile_now = true;
		i += 2u + l;
	}
}

static int
parse_reply(const uint8_t *b, size_t len, struct reply *r)
{
	uint32_t cookie;

	*r = (struct reply){0};
	if (len < 241 || b[0] != 2)
		return -1;
	memcpy(&r->xid, b + 4, 4);
	r->xid = ntohl(r->xid);
	memcpy(r->chaddr, b + 28, 6);
	memcpy(&r->server, b + 20, 4); /* siaddr, unless option 54 says */
	memcpy(&cookie, b + 236, 4);
	if (ntohl(cookie) != COOKIE)
		return -1;
	snprintf(r->file, sizeof(r->file), "%.*s", 128, (const char *)b + 108);
	parse_options(b + 240, len - 240, r);
	return 0;
}

static void tftp_start(struct machine *m);
static void http_start(struct machine *m);

/* An OFFER or ACK for m at kernel time t. */
static void
dhcp_answered(struct machine *m, const struct reply *r, double t)
{
	g.lat[g.n_lat++] = t - m->t_first;
	if (r->file[0] != '\0')
		snprintf(m->file, sizeof(m->file), "%s", r->file);
	m->tries = 0;
	if (m->phase == PH_DISCOVER && (!r->bootfile_now || m->file[0] == '\0')) {
		m->server = r->server;
		m->phase = PH_REQUEST;
		dhcp_send(m);
		return;
	}
	if (m->file[0] == '\0') {
		fail(m, "no boot file");
		return;
	}
	if (m->ipxe)
		http_start(m);
	else
		tftp_start(m);
}

/* One datagram on the shared port-68 socket or a machine's socket, with its stamp. */
static ssize_t
recv_stamped(int fd, uint8_t *buf, size_t cap, struct sockaddr_in *from, double *ret_t)
{
	union {
		char b[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} c;
	struct iovec iov = {buf, cap};
	struct msghdr msg = {.msg_name = from,
	    .msg_namelen = sizeof(*from),
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = c.b,
	    .msg_controllen = sizeof(c.b)};
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

	*ret_t = now();
	if (n < 0)
		return n;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			*ret_t = stamp_to_mono(&ts);
		}
	return n;
}

static void
dhcp_datagram(struct machine *m, const uint8_t *b, size_t n, double t, bool broadcast)
{
	struct reply r;
	uint32_t idx;

	if (parse_reply(b, n, &r) < 0 || (r.xid & 0xff000000u) != 0x5a000000u)
		return;
	idx = r.xid & 0xffffu;
	if (m == NULL) {
		if (idx >= g.n)
			return;
		m = &g.m[idx];
	}
	if (memcmp(r.chaddr, m->mac, 6) != 0 || r.xid != xid_of(m))
		return; /* a late answer to an earlier step */
	if ((broadcast && (m->phase != PH_DISCOVER || r.type != 2)) ||
	    (!broadcast && (m->phase != PH_REQUEST || r.type != 5)))
		return;
	dhcp_answered(m, &r, t);
}

static void
on_dhcp_socket(void)
{
	uint8_t b[2048];
	struct sockaddr_in from;
	double t;
	ssize_t n;

	while ((n = recv_stamped(g.dhcp, b, sizeof(b), &from, &t)) >= 0)
		dhcp_datagram(NULL, b, (size_t)n, t, true);
}

/* ---- TFTP ------------------------------------------------------------------ */

static void
tftp_send_rrq(struct machine *m)
{
	static const char *const opts[] = {"octet", "blksize", "1468", "tsize", "0"};
	char b[600] = {0, 1};
	size_t n = 2;
	struct sockaddr_in to = {
	    .sin_family = AF_INET, .sin_port = htons(69), .sin_addr = m->server};

	n += (size_t)snprintf(b + n, sizeof(b) - n, "%s", m->file) + 1;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		n += (size_t)snprintf(b + n, sizeof(b) - n, "%s", opts[i]) + 1;
	(void)sendto(m->udp, b, n, 0, (struct sockaddr *)&to, sizeof(to));
}

static void
tftp_send_ack(struct machine *m)
{
	uint8_t b[4] = {0, 4, (uint8_t)(m->block >> 8), (uint8_t)m->block};

	(void)sendto(m->udp, b, 4, 0, (struct sockaddr *)&m->tid, sizeof(m->tid));
}

static void
tftp_start(struct machine *m)
{
	m->phase = PH_TFTP;
	m->t_tftp0 = now();
	m->tries = 0;
	m->block = 0;
	m->got = 0;
	m->tid.sin_port = 0;
	tftp_send_rrq(m);
	m->deadline = now() + TFTP_TIMEOUT;
}

static void
tftp_timeout(struct machine *m)
{
	if (++m->tries >= TFTP_TRIES) {
		fail(m, "TFTP timed out");
		return;
	}
	g.retransmits++;
	if (m->tid.sin_port == 0)
		tftp_send_rrq(m);
	else
		tftp_send_ack(m);
	m->deadline = now() + TFTP_TIMEOUT;
}

/* A DATA block: the next one is checked against the loader and acknowledged. */
static void
tftp_data(struct machine *m, const uint8_t *b, size_t n)
{
	uint16_t blk = (uint16_t)(b[2] << 8 | b[3]);
	size_t len = n - 4;

	if (blk != (uint16_t)(m->block + 1)) {
		if (blk == m->block)
			tftp_send_ack(m); /* our ACK was lost */
		return;
	}
	if (m->got + len > g.loader_len || memcmp(g.loader + m->got, b + 4, len) != 0) {
		fail(m, "TFTP: wrong bytes");
		return;
	}
	m->got += len;
	m->block = blk;
	m->tries = 0;
	tftp_send_ack(m);
	m->deadline = now() + TFTP_TIMEOUT;
	if (len < TFTP_BLKSIZE) {
		if (m->got != g.loader_len) {
			fail(m, "TFTP: short file");
			return;
		}
		m->ipxe = true;
		m->t_tftp1 = now();
		m->phase = PH_DISCOVER;
		m->file[0] = '\0';
		dhcp_send(m);
	}
}

static void
tftp_packet(struct machine *m, const uint8_t *b, size_t n, const struct sockaddr_in *from)
{
	uint16_t op;

	if (n < 4 || from->sin_addr.s_addr != m->server.s_addr)
		return;
	if (m->tid.sin_port == 0)
		m->tid = *from;
	else if (from->sin_port != m->tid.sin_port)
		return;
	op = (uint16_t)(b[0] << 8 | b[1]);
	if (op == 6 && m->block == 0) { /* OACK */
		m->tries = 0;
		tftp_send_ack(m);
		m->deadline = now() + TFTP_TIMEOUT;
	} else if (op == 3) {
		tftp_data(m, b, n);
	} else if (op == 5) {
		fail(m, "TFTP error");
	}
}

static void
on_udp(struct machine *m)
{
	uint8_t b[2048];
	struct sockaddr_in from;
	double t;
	ssize_t n;

	for (int i = 0; i < 16 && m->udp >= 0; i++) {
		n = recv_stamped(m->udp, b, sizeof(b), &from, &t);
		if (n < 0)
			return;
		if (m->phase == PH_REQUEST && ntohs(from.sin_port) == 4011)
			dhcp_datagram(m, b, (size_t)n, t, false);
		else if (m->phase == PH_TFTP)
			tftp_packet(m, b, (size_t)n, &from);
	}
}

/* ---- HTTP ------------------------------------------------------------------ */

/* http://A.B.C.D:PORT/path: the address and port; the path stays in the URL. */
static int
url_split(const char *url, struct sockaddr_in *ret, const char **ret_path)
{
	char host[64];
	const char *p = url + 7, *slash;
	unsigned port = 80;

	if (strncmp(url, "http://", 7) != 0 || (slash = strchr(p, '/')) == NULL ||
	    (size_t)(slash - p) >= sizeof(host))
		return -1;
	memcpy(host, p, (size_t)(slash - p));
	host[slash - p] = '\0';
	if (strchr(host, ':') != NULL) {
		port = (unsigned)atoi(strchr(host, ':') + 1);
		*strchr(host, ':') = '\0';
	}
	*ret = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, host, &ret->sin_addr) != 1)
		return -1;
	*ret_path = slash;
	return 0;
}

static void
http_request(struct machine *m)
{
	struct sockaddr_in sa;
	const char *path;
	char req[URL_MAX + 128];
	int n;

	if (url_split(m->url[m->step], &sa, &path) < 0) {
		fail(m, "HTTP: bad URL");
		return;
	}
	n = snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: iPXE/1.21.1\r\n\r\n", path,
	    inet_ntoa(sa.sin_addr));
	m->hdr_len = 0;
	m->in_body = false;
	if (send(m->tcp, req, (size_t)n, MSG_NOSIGNAL) != n)
		fail(m, "HTTP: send failed");
}

static void
http_start(struct machine *m)
{
	struct sockaddr_in sa, me = {.sin_family = AF_INET, .sin_addr = m->addr};
	const char *path;
	int one = 1;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = m->idx | 0x80000000u};

	m->phase = PH_HTTP;
	m->t_http0 = now();
	m->step = HS_SCRIPT;
	snprintf(m->url[HS_SCRIPT], URL_MAX, "%s", m->file);
	if (url_split(m->file, &sa, &path) < 0) {
		fail(m, "boot file is not an http:// URL");
		return;
	}
	m->tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->tcp < 0 || bind(m->tcp, (struct sockaddr *)&me, sizeof(me)) < 0) {
		fail(m, "HTTP: socket");
		return;
	}
	setsockopt(m->tcp, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(m->tcp, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		fail(m, "HTTP: connect");
		return;
	}
	epoll_ctl(g.ep, EPOLL_CTL_ADD, m->tcp, &ev);
	m->deadline = now() + 60;
}

/* The URL after "kernel"/"initrd" (the first http:// word of such a line). */
static void
script_urls(struct machine *m)
{
	char *save = NULL;

	m->script[m->script_len] = '\0';
	for (char *line = strtok_r(m->script, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		enum http_step s = strncmp(line, "kernel ", 7) == 0   ? HS_KERNEL
		                   : strncmp(line, "initrd ", 7) == 0 ? HS_INITRD
		                                                      : HS_N;
		char *u = strstr(line, "http://"), *end;

		if (s == HS_N || u == NULL || m->url[s][0] != '\0')
			continue;
		end = u + strcspn(u, " \t\r");
		snprintf(m->url[s], URL_MAX, "%.*s", (int)(end - u), u);
	}
}

/* The body of the current step is complete. */
static void
http_next(struct machine *m)
{
	if (g.want[m->step] != 0 && m->body_len != g.want[m->step]) {
		fail(m, "HTTP: wrong size");
		return;
	}
	if (m->step == HS_SCRIPT) {
		script_urls(m);
		if (m->url[HS_KERNEL][0] == '\0' || m->url[HS_INITRD][0] == '\0') {
			fail(m, "script without kernel and initrd");
			return;
		}
	}
	if (++m->step == HS_N) {
		done(m);
		return;
	}
	http_request(m);
}

static void
body_bytes(struct machine *m, const char *p, size_t n)
{
	if (m->step == HS_SCRIPT) {
		if (m->script_len + n >= SCRIPT_MAX) {
			fail(m, "HTTP: script too long");
			return;
		}
		memcpy(m->script + m->script_len, p, n);
		m->script_len += n;
	}
	m->body_left -= n;
}

/* Headers complete at 'end': the status and Content-Length; the rest is body. */
static void
http_headers(struct machine *m, char *end)
{
	char *cl;
	size_t extra = m->hdr_len - (size_t)(end + 4 - m->hdr);

	*end = '\0';
	if (strncmp(m->hdr, "HTTP/1.1 200", 12) != 0) {
		fail(m, "HTTP: status not 200");
		return;
	}
	cl = strcasestr(m->hdr, "\r\nContent-Length:");
	if (cl == NULL) {
		fail(m, "HTTP: no Content-Length");
		return;
	}
	m->body_len = m->body_left = strtoull(cl + 17, NULL, 10);
	m->in_body = true;
	if (extra > m->body_left) {
		fail(m, "HTTP: more than the body");
		return;
	}
	body_bytes(m, end + 4, extra);
}

static void
on_tcp_readable(struct machine *m)
{
	ssize_t n;
	char *end;

	if (m->in_body && m->step != HS_SCRIPT) {
		n = recv(m->tcp, NULL, m->body_left, MSG_TRUNC | MSG_DONTWAIT);
		if (n > 0)
			m->body_left -= (uint64_t)n;
	} else if (!m->in_body) {
		n = recv(
		    m->tcp, m->hdr + m->hdr_len, sizeof(m->hdr) - 1 - m->hdr_len, MSG_DONTWAIT);
		if (n > 0) {
			m->hdr_len += (size_t)n;
			m->hdr[m->hdr_len] = '\0';
			if ((end = strstr(m->hdr, "\r\n\r\n")) != NULL)
				http_headers(m, end);
			else if (m->hdr_len == sizeof(m->hdr) - 1)
				fail(m, "HTTP: headers too long");
		}
	} else {
		char b[4096];

		n = recv(
		    m->tcp, b, m->body_left < sizeof(b) ? m->body_left : sizeof(b), MSG_DONTWAIT);
		if (n > 0)
			body_bytes(m, b, (size_t)n);
	}
	if (n == 0 || (n < 0 && errno != EAGAIN))
		fail(m, "HTTP: connection closed");
	else if (m->phase == PH_HTTP && m->in_body && m->body_left == 0)
		http_next(m);
	if (m->phase == PH_HTTP)
		m->deadline = now() + 60;
}

static void
on_tcp(struct machine *m, uint32_t events)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = m->idx | 0x80000000u};
	int err = 0;
	socklen_t len = sizeof(err);

	if (events & EPOLLOUT) { /* connected (or not) */
		getsockopt(m->tcp, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0) {
			fail(m, "HTTP: connect failed");
			return;
		}
		epoll_ctl(g.ep, EPOLL_CTL_MOD, m->tcp, &ev);
		m->script = malloc(SCRIPT_MAX);
		if (m->script == NULL) {
			fail(m, "out of memory");
			return;
		}
		http_request(m);
		return;
	}
	for (int i = 0; i < 4 && m->phase == PH_HTTP; i++)
		on_tcp_readable(m);
}

/* ---- the storm --------------------------------------------------------------- */

static int
udp_socket(struct in_addr a, bool shared)
{
	struct sockaddr_in sin = {
	    .sin_family = AF_INET, .sin_addr = a, .sin_port = shared ? htons(68) : 0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	int buf = shared ? 8 << 20 : 256 << 10;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	if (shared) {
		setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
power_on(struct machine *m)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = m->idx};

	m->udp = udp_socket(m->addr, false);
	if (m->udp < 0 || epoll_ctl(g.ep, EPOLL_CTL_ADD, m->udp, &ev) < 0) {
		fail(m, "cannot bind the machine's address");
		return;
	}
	m->start = now();
	m->phase = PH_DISCOVER;
	dhcp_send(m);
}

static void
tick(double t, double t0, double ramp)
{
	for (unsigned i = 0; i < g.n; i++) {
		struct machine *m = &g.m[i];

		if (m->phase == PH_WAIT && t >= t0 + ramp * i / g.n)
			power_on(m);
		else if (m->phase != PH_WAIT && m->phase < PH_DONE && t >= m->deadline) {
			if (m->phase == PH_DISCOVER || m->phase == PH_REQUEST)
				dhcp_send(m);
			else if (m->phase == PH_TFTP)
				tftp_timeout(m);
			else
				fail(m, "HTTP timed out");
		}
	}
}

static void
loop(double ramp, double timeout)
{
	struct epoll_event evs[256];
	double t0 = now(), t;

	while (g.left > 0 && (t = now()) < t0 + timeout) {
		int n = epoll_wait(g.ep, evs, 256, 2);

		on_dhcp_socket();
		for (int i = 0; i < n; i++) {
			uint32_t u = evs[i].data.u32;

			if (u == TAG_DHCP)
				continue;
			if (u & 0x80000000u)
				on_tcp(&g.m[u & 0x7fffffffu], evs[i].events);
			else
				on_udp(&g.m[u]);
		}
		tick(now(), t0, ramp);
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median over the booted machines of b - a (fields of struct machine). */
static double
median_of(size_t a, size_t b)
{
	double *v = calloc(g.n, sizeof(double)), r;
	unsigned k = 0;

	if (v == NULL)
		return 0;
	for (unsigned i = 0; i < g.n; i++)
		if (g.m[i].phase == PH_DONE)
			v[k++] =
			    *(double *)((char *)&g.m[i] + b) - *(double *)((char *)&g.m[i] + a);
	qsort(v, k, sizeof(double), cmp_double);
	r = k ? v[k / 2] : 0;
	free(v);
	return r;
}

static void
report(double t0)
{
	unsigned booted = 0, failed = 0;
	double end = t0;
	struct rusage ru;

	for (unsigned i = 0; i < g.n; i++) {
		if (g.m[i].phase == PH_DONE) {
			booted++;
			if (g.m[i].deadline > end)
				end = g.m[i].deadline;
		} else {
			failed++;
			fprintf(stderr, "boot-storm: machine %u: %s\n", i,
			    g.m[i].why ? g.m[i].why : "did not finish");
		}
	}
	getrusage(RUSAGE_SELF, &ru);
	qsort(g.lat, g.n_lat, sizeof(double), cmp_double);
#define PCT(p) (g.n_lat ? g.lat[(size_t)((g.n_lat - 1) * (p))] * 1e3 : 0)
	printf("RESULT clients=%u booted=%u failed=%u wall=%.3f dhcp_n=%u dhcp_p50=%.3f "
	       "dhcp_p90=%.3f dhcp_p99=%.3f dhcp_max=%.3f retransmits=%u client_cpu=%.1f "
	       "boot_med=%.2f tftp_med=%.2f http_med=%.2f\n",
	    g.n, booted, failed, end - t0, g.n_lat, PCT(0.5), PCT(0.9), PCT(0.99), PCT(1.0),
	    g.retransmits,
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	        (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
	    median_of(offsetof(struct machine, start), offsetof(struct machine, deadline)),
	    median_of(offsetof(struct machine, t_tftp0), offsetof(struct machine, t_tftp1)),
	    median_of(offsetof(struct machine, t_http0), offsetof(struct machine, deadline)));
}

static int
setup(const char *ifname, const char *first, const char *loader)
{
	struct in_addr a;
	struct stat st;
	struct rlimit rl;
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = TAG_DHCP};
	int fd = open(loader, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 || inet_pton(AF_INET, first, &a) != 1)
		return -1;
	g.loader_len = (size_t)st.st_size;
	g.loader = mmap(NULL, g.loader_len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	g.ifindex = (int)if_nametoindex(ifname);
	/*
	 * Protocol 0: a socket that only sends.  One of ETH_P_IP would get a
	 * copy of every IP frame on the interface and drop it (nobody reads
	 * it), in the sending server's system call: 4% of netbootd's CPU in
	 * a 2,000-machine storm, and as much of the peers'.
	 */
	g.raw = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	g.dhcp = udp_socket((struct in_addr){htonl(INADDR_ANY)}, true);
	g.ep = epoll_create1(EPOLL_CLOEXEC);
	if (g.loader == MAP_FAILED || g.ifindex == 0 || g.raw < 0 || g.dhcp < 0 || g.ep < 0 ||
	    epoll_ctl(g.ep, EPOLL_CTL_ADD, g.dhcp, &ev) < 0)
		return -1;
	g.m = calloc(g.n, sizeof(*g.m));
	g.lat = calloc((size_t)g.n * EXCHANGES, sizeof(double));
	if (g.m == NULL || g.lat == NULL)
		return -1;
	for (unsigned i = 0; i < g.n; i++) {
		struct machine *m = &g.m[i];
		uint8_t mac[6] = {
		    0x52, 0x54, 0x01, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};

		m->idx = i;
		memcpy(m->mac, mac, 6);
		m->addr.s_addr = htonl(ntohl(a.s_addr) + i);
		m->udp = m->tcp = -1;
	}
	g.left = g.n;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *ifname = NULL, *first = NULL, *loader = NULL;
	double ramp = 1.0, timeout = 600, t0;
	int c;

	g.n = 500;
	while ((c = getopt(argc, argv, "i:a:n:l:k:r:R:T:")) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'a':
			first = optarg;
			break;
		case 'n':
			g.n = (unsigned)atoi(optarg);
			break;
		case 'l':
			loader = optarg;
			break;
		case 'k':
			g.want[HS_KERNEL] = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			g.want[HS_INITRD] = strtoull(optarg, NULL, 10);
			break;
		case 'R':
			ramp = atof(optarg) / 1e3;
			break;
		case 'T':
			timeout = atof(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (ifname == NULL || first == NULL || loader == NULL || g.n == 0 || g.n > 65535)
		goto usage;
	if (setup(ifname, first, loader) < 0) {
		perror("boot-storm: setup");
		return 1;
	}
	t0 = now();
	loop(ramp, timeout);
	report(t0);
	return 0;
usage:
	fprintf(stderr, "usage: boot-storm -i IFACE -a FIRST_ADDR -n N -l LOADER [-k KERNEL_SIZE] "
	                "[-r INITRD_SIZE] [-R RAMP_MS] [-T TIMEOUT_S]\n");
	return 2;
}
