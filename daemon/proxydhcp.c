/*
 * ProxyDHCP sockets: one on the DHCP port (broadcast DISCOVERs, answered with
 * OFFERs to 255.255.255.255:68 on the receiving interface, to ciaddr:68, or
 * to the relay at giaddr:67) and one on the PXE port (REQUESTs and INFORMs,
 * answered with ACKs at the sender's address and port).  IP_PKTINFO tells
 * which interface a datagram came in on and picks it for the reply.
 */
#include "proxydhcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "boot-view.h"
#include "iface.h"
#include "log.h"
#include "mac.h"
#include "progress.h"
#include "pxe.h"
#include "util.h"

#define PD_RECV_BUF     2048      /* larger datagrams are truncated, hence malformed */
#define PD_MAX_PER_WAKE 64        /* datagrams read per wake-up before yielding */
#define PD_LOGGED_MACS  32        /* remembered MACs for "no loader"/"refused" info logs */
#define PD_FLOOD_WAKES  4         /* full wake-ups in a row: a flood, served at bulk priority */
#define PD_FLOOD_LOG_S  60        /* at most one flood warning a minute */
#define PD_RCVBUF       (1 << 20) /* a storm's requests while the process waits for a CPU */

/* The last few MACs a message was logged for at info level. */
struct pd_seen {
	uint8_t mac[PD_LOGGED_MACS][MAC_LEN];
	unsigned n, next;
};

struct pd_socket {
	struct proxydhcp *pd;
	int fd;
	bool pxe_port;
	bool armed;
	bool flooded;        /* at SERVER_PRIO_BULK until the socket drains */
	unsigned full_wakes; /* wake-ups in a row that left datagrams queued */
	struct event ev;
};

struct proxydhcp {
	struct server *srv;
	struct pd_socket sock[2];      /* DHCP port, PXE port */
	struct proxydhcp_stats *stats; /* srv->stats.dhcp */
	struct pd_seen no_loader, refused;
	time_t flood_logged; /* CLOCK_MONOTONIC seconds of the last flood warning */
};

/* What one received datagram told us about where it came from. */
struct pd_origin {
	struct sockaddr_in from;
	int ifindex;
	struct in_addr local; /* our address on that interface, from IP_PKTINFO */
	char ifname[IF_NAMESIZE];
};

/* Log at info level once per MAC (of the last few), then at debug. */
static bool
first_time_for_mac(struct pd_seen *seen, const uint8_t mac[MAC_LEN])
{
	for (unsigned i = 0; i < seen->n; i++)
		if (memcmp(seen->mac[i], mac, MAC_LEN) == 0)
			return false;
	memcpy(seen->mac[seen->next], mac, MAC_LEN);
	seen->next = (seen->next + 1) % PD_LOGGED_MACS;
	if (seen->n < PD_LOGGED_MACS)
		seen->n++;
	return true;
}

static void
params_from_config(
    const struct config *c, struct in_addr server, bool pxe_port, struct pxe_params *ret)
{
	*ret = (struct pxe_params){
	    .server = server,
	    .http_port = c->http.port,
	    .pxe_port = pxe_port,
	};
}

/* Where the reply goes, and through which interface (0: let routing decide). */
static void
reply_destination(const struct pd_socket *s, const struct pxe_request *req,
    const struct pd_origin *o, struct sockaddr_in *ret_to, int *ret_ifindex)
{
	*ret_to = (struct sockaddr_in){.sin_family = AF_INET};
	*ret_ifindex = 0;
	if (s->pxe_port && o->from.sin_addr.s_addr != htonl(INADDR_ANY)) {
		*ret_to = o->from;
	} else if (!s->pxe_port && req->header.giaddr.s_addr != htonl(INADDR_ANY)) {
		ret_to->sin_addr = req->header.giaddr;
		ret_to->sin_port = htons(DHCP_SERVER_PORT);
	} else if (!s->pxe_port && req->header.ciaddr.s_addr != htonl(INADDR_ANY)) {
		ret_to->sin_addr = req->header.ciaddr;
		ret_to->sin_port = htons(DHCP_CLIENT_PORT);
	} else {
		ret_to->sin_addr.s_addr = htonl(INADDR_BROADCAST);
		ret_to->sin_port = s->pxe_port ? o->from.sin_port : htons(DHCP_CLIENT_PORT);
		*ret_ifindex = o->ifindex;
	}
}

static int
send_reply(const struct pd_socket *s, const void *buf, size_t len, const struct sockaddr_in *to,
    int ifindex, struct in_addr source)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} control = {0};
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {
	    .msg_name = (void *)to,
	    .msg_namelen = sizeof(*to),
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = control.buf,
	    .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	struct in_pktinfo pi = {.ipi_ifindex = ifindex, .ipi_spec_dst = source};

	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	if (sendmsg(s->fd, &msg, 0) < 0)
		return -errno;
	return 0;
}

static void
log_answer(const struct pxe_request *req, const struct pxe_answer *a, const struct pd_origin *o,
    const struct sockaddr_in *to)
{
	const char *event = a->msg_type == DHCP_OFFER ? "offer" : "ack";
	char mac[MAC_STRLEN] = "-", dst[INET_ADDRSTRLEN], fields[512];

	if (req->has_mac)
		mac_format(req->mac, ':', mac);
	inet_ntop(AF_INET, &to->sin_addr, dst, sizeof(dst));
	snprintf(fields, sizeof(fields),
	    "NETBOOT_MAC=%s\nNETBOOT_EVENT=%s\nCLIENT_KIND=%s\nCLIENT_ARCH=%u\nBOOT_FILE=%s\nINTERFACE=%s",
	    mac, event, pxe_client_name(req->client), req->arch, a->boot_file, o->ifname);
	log_info(fields, "%s \"%s\" to %s client %s (arch %u) on %s via %s:%u",
	    a->msg_type == DHCP_OFFER ? "Offered" : "Acknowledged", a->boot_file,
	    pxe_client_name(req->client), mac, req->arch, o->ifname, dst, ntohs(to->sin_port));
}

static void
record_offer(struct proxydhcp *pd, const struct pxe_request *req, const struct pxe_answer *a)
{
	struct progress_event ev = {.kind = PROGRESS_OFFER, .has_mac = req->has_mac};

	if (pd->srv->progress == NULL || !req->has_mac)
		return;
	memcpy(ev.mac, req->mac, MAC_LEN);
	ev.client = req->header.ciaddr;
	memcpy(ev.detail, a->boot_file, strnlen(a->boot_file, sizeof(ev.detail) - 1));
	progress_record(pd->srv->progress, &ev);
}

/* What ProxyDHCP knows of a client, for the boot decision. */
static void
client_from_request(
    const struct pxe_request *req, const struct pd_origin *o, struct boot_client *ret)
{
	static const enum boot_firmware firmware[] = {
	    [PXE_CLIENT_NONE] = BOOT_FIRMWARE_NONE,
	    [PXE_CLIENT_PXE] = BOOT_FIRMWARE_PXE,
	    [PXE_CLIENT_IPXE] = BOOT_FIRMWARE_IPXE,
	    [PXE_CLIENT_HTTP] = BOOT_FIRMWARE_HTTP,
	};

	*ret = (struct boot_client){
	    .firmware = firmware[req->client],
	    .has_mac = req->has_mac,
	    .has_arch = true, /* option 93, else from option 60 */
	    .arch = req->arch,
	    .platform = boot_arch_from_option93(req->arch),
	    .addr = req->header.ciaddr,
	    .has_uuid = req->has_uuid,
	    .relay = req->header.giaddr,
	};
	memcpy(ret->mac, req->mac, MAC_LEN);
	memcpy(ret->uuid, req->uuid + 1, BOOT_UUID_LEN); /* after the type byte */
	snprintf(ret->ifname, sizeof(ret->ifname), "%s", o->ifname);
}

/* The store would not boot it: an unknown MAC while default boot is off, its image missing. */
static void
note_store_refused(struct proxydhcp *pd, const struct pxe_request *req, const struct boot_plan *p,
    const struct pd_origin *o)
{
	bool missing = p->reason == BOOT_REASON_IMAGE_MISSING;
	char mac[MAC_STRLEN], fields[96];

	pd->stats->refused++;
	mac_format(req->mac, ':', mac);
	snprintf(fields, sizeof(fields), "NETBOOT_MAC=%s\nNETBOOT_EVENT=refused", mac);
	if (first_time_for_mac(&pd->refused, req->mac))
		log_info(fields, "Not answering %s client %s on %s: %s%s%s%s",
		    pxe_client_name(req->client), mac, o->ifname, boot_reason_name(p->reason),
		    missing ? " (\"" : "", missing ? p->missing : "", missing ? "\")" : "");
	else
		log_debug(fields, "Not answering client %s on %s: %s", mac, o->ifname,
		    boot_reason_name(p->reason));
}

/* What to set so that such a client gets a loader. */
static const char *
loader_hint(const struct pxe_request *req, const struct boot_plan *p)
{
	bool arm64 = req->arch == PXE_ARCH_EFI_ARM64 || req->arch == PXE_ARCH_HTTP_ARM64;

	switch (p->reason) {
	case BOOT_REASON_NO_LOADER:
		return arm64
		           ? ": set ipxe.arm64, or loaders.dir (filled by tools/fetch-loaders.sh) "
		             "for GRUB"
		           : ": set its ipxe.* loader in netbootd.yaml";
	case BOOT_REASON_NO_GRUB:
		return ": fill loaders.dir with tools/fetch-loaders.sh";
	case BOOT_REASON_SHIM_HTTP:
		return ": PXE-boot it, or give it the loader grub (no Secure Boot)";
	case BOOT_REASON_ISO_LOADER:
		return ": give its profile the loader ipxe, or boot it over UEFI HTTP Boot";
	default:
		return "";
	}
}

/* The boot decision said not to answer. */
static void
note_refused(struct proxydhcp *pd, const struct pxe_request *req, const struct boot_plan *p,
    const struct pd_origin *o)
{
	char mac[MAC_STRLEN] = "-", fields[64];

	if (p->reason == BOOT_REASON_DEFAULT_BOOT_OFF || p->reason == BOOT_REASON_IMAGE_MISSING) {
		note_store_refused(pd, req, p, o);
		return;
	}
	if (req->has_mac)
		mac_format(req->mac, ':', mac);
	if (p->reason == BOOT_REASON_UNKNOWN_ARCH || p->reason == BOOT_REASON_NO_LOADER ||
	    p->reason == BOOT_REASON_NO_GRUB || p->reason == BOOT_REASON_SHIM_HTTP ||
	    p->reason == BOOT_REASON_ISO_LOADER) {
		pd->stats->unsupported_arch++;
		snprintf(fields, sizeof(fields), "NETBOOT_MAC=%s\nNETBOOT_EVENT=unsupported", mac);
		if (req->has_mac && first_time_for_mac(&pd->no_loader, req->mac)) {
			log_info(fields, "Not answering %s client %s on %s: %s (arch %u)%s",
			    pxe_client_name(req->client), mac, o->ifname,
			    boot_reason_name(p->reason), req->arch, loader_hint(req, p));
			return;
		}
	} else
		pd->stats->ignored_not_pxe++;
	log_debug(NULL, "Not answering client %s on %s: %s (message type %u, arch %u)", mac,
	    o->ifname, boot_reason_name(p->reason), req->msg_type, req->arch);
}

/* Option 93 values with their own counter slot; the last slot is "other". */
static const struct {
	uint16_t arch;
	const char *name;
} arch_slots[PROXYDHCP_ARCH_SLOTS - 1] = {
    {PXE_ARCH_BIOS, "bios"},
    {PXE_ARCH_EFI_IA32, "efi-ia32"},
    {PXE_ARCH_EFI_X64, "efi-x64"},
    {PXE_ARCH_EFI_BC, "efi-bc"},
    {PXE_ARCH_EFI_ARM32, "efi-arm32"},
    {PXE_ARCH_EFI_ARM64, "efi-arm64"},
    {PXE_ARCH_HTTP_X64, "http-x64"},
    {PXE_ARCH_HTTP_ARM64, "http-arm64"},
};

const char *
proxydhcp_arch_name(size_t slot)
{
	if (slot < ELEMENTSOF(arch_slots))
		return arch_slots[slot].name;
	return slot == ELEMENTSOF(arch_slots) ? "other" : NULL;
}

static void
count_answer(struct proxydhcp *pd, const struct pxe_request *req, const struct pxe_answer *a)
{
	size_t slot = 0, kind = (size_t)req->client < PROXYDHCP_KINDS ? (size_t)req->client : 0;

	while (slot < ELEMENTSOF(arch_slots) && arch_slots[slot].arch != req->arch)
		slot++;
	if (a->msg_type == DHCP_OFFER) {
		pd->stats->offers++;
		pd->stats->offers_by[kind][slot]++;
	} else {
		pd->stats->acks++;
		pd->stats->acks_by[kind][slot]++;
	}
}

static void
answer(struct pd_socket *s, const struct pxe_request *req, const struct pxe_params *p,
    const struct pxe_answer *a, const struct pd_origin *o)
{
	struct proxydhcp *pd = s->pd;
	uint8_t buf[DHCP_MAX_REPLY_LEN];
	struct sockaddr_in to;
	size_t len;
	int ifindex, r;

	r = pxe_reply_build(req, p, a, buf, sizeof(buf), &len);
	if (r < 0) {
		pd->stats->send_errors++;
		log_warn(NULL, "Cannot build a DHCP reply: %s, ignoring", strerror(-r));
		return;
	}
	reply_destination(s, req, o, &to, &ifindex);
	r = send_reply(s, buf, len, &to, ifindex, o->local);
	if (r < 0) {
		pd->stats->send_errors++;
		log_warn(
		    NULL, "Cannot send a DHCP reply on %s: %s, ignoring", o->ifname, strerror(-r));
		return;
	}
	count_answer(pd, req, a);
	log_answer(req, a, o, &to);
	record_offer(pd, req, a);
}

static void
note_ignored(struct proxydhcp *pd, const struct pxe_request *req, enum pxe_verdict v,
    const struct pd_origin *o)
{
	char mac[MAC_STRLEN] = "-";

	if (req->has_mac)
		mac_format(req->mac, ':', mac);
	switch (v) {
	case PXE_IGNORE_MSG_TYPE:
		pd->stats->ignored_msg_type++;
		break;
	case PXE_IGNORE_TOO_LONG:
		pd->stats->unsupported_arch++;
		log_warn(NULL, "Not answering %s client %s on %s: %s, ignoring",
		    pxe_client_name(req->client), mac, o->ifname, pxe_verdict_name(v));
		return;
	default:
		pd->stats->ignored_not_pxe++;
		break;
	}
	log_debug(NULL, "Not answering client %s on %s: %s (message type %u, arch %u)", mac,
	    o->ifname, pxe_verdict_name(v), req->msg_type, req->arch);
}

/* Ask the boot decision, then answer with its loader (or the iPXE script URL). */
static void
decide_and_answer(struct pd_socket *s, const struct pxe_request *req, const struct pxe_params *p,
    const struct pd_origin *o)
{
	struct proxydhcp *pd = s->pd;
	struct pxe_params params = *p;
	struct boot_client client;
	struct boot_view view;
	struct boot_plan plan;
	struct pxe_answer a;
	enum pxe_verdict v;
	char uuid[37], loader[BOOT_PLAN_LOADER_MAX];

	client_from_request(req, o, &client);
	params.arch = boot_arch_name(client.platform); /* the script URL carries them */
	if (client.has_uuid) {
		fleet_uuid_format(client.uuid, uuid);
		params.uuid = uuid;
	}
	boot_view_init(pd->srv, &view);
	if (boot_decide(&view, &client, BOOT_SERVICE_DHCP, &plan) < 0) {
		log_warn(
		    NULL, "Cannot decide how to answer a DHCP request: out of memory, ignoring");
		return;
	}
	if (plan.action == BOOT_IGNORE)
		note_refused(pd, req, &plan, o);
	else if ((v = pxe_decide(req, &params, boot_plan_loader(&plan, loader), &a)) != PXE_ANSWER)
		note_ignored(pd, req, v, o);
	else
		answer(s, req, &params, &a, o);
	boot_plan_done(&plan);
}

static void
handle_datagram(struct pd_socket *s, const uint8_t *buf, size_t len, const struct pd_origin *o)
{
	struct proxydhcp *pd = s->pd;
	const struct config *cfg = pd->srv->cfg; /* afresh per packet: SIGHUP may replace it */
	struct pxe_request req;
	struct pxe_params params;
	struct in_addr server;
	enum pxe_verdict v;
	int r;

	if (!iface_allowed(cfg, o->ifindex)) {
		pd->stats->ignored_iface++;
		log_debug(NULL, "Ignoring a DHCP packet from interface %s, not served", o->ifname);
		return;
	}
	r = pxe_request_parse(buf, len, &req);
	if (r < 0) {
		pd->stats->malformed++;
		log_debug(NULL, "Malformed DHCP packet (%zu bytes) from %s on %s: %s, ignoring",
		    len, inet_ntoa(o->from.sin_addr), o->ifname, strerror(-r));
		return;
	}
	if (req.has_mac && req.header.ciaddr.s_addr != htonl(INADDR_ANY) && pd->srv->progress)
		progress_learn(pd->srv->progress, req.header.ciaddr, req.mac);
	if (iface_advertise(cfg, o->ifindex, o->local, &server) < 0) {
		pd->stats->no_address++;
		log_warn(
		    NULL, "No IPv4 address to advertise on %s, ignoring a DHCP packet", o->ifname);
		return;
	}
	params_from_config(cfg, server, s->pxe_port, &params);
	v = pxe_check(&req, s->pxe_port);
	if (v != PXE_ANSWER) {
		note_ignored(pd, &req, v, o);
		return;
	}
	decide_and_answer(s, &req, &params, o);
}

/* Read one datagram.  1 with data, 0 when the socket is drained, <0 on error. */
static int
receive_one(struct pd_socket *s, uint8_t *buf, size_t cap, size_t *ret_len, struct pd_origin *o)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg = {
	    .msg_name = &o->from,
	    .msg_namelen = sizeof(o->from),
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = control.buf,
	    .msg_controllen = sizeof(control.buf),
	};
	ssize_t n;

	n = recvmsg(s->fd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	o->ifindex = 0;
	o->local.s_addr = htonl(INADDR_ANY);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			o->ifindex = pi.ipi_ifindex;
			o->local = pi.ipi_spec_dst;
		}
	}
	if (o->ifindex <= 0 || if_indextoname((unsigned)o->ifindex, o->ifname) == NULL)
		snprintf(o->ifname, sizeof(o->ifname), "?");
	*ret_len = (msg.msg_flags & MSG_TRUNC) ? 0 : (size_t)n; /* 0 bytes: malformed */
	return 1;
}

/*
 * ProxyDHCP runs before everything else (SERVER_PRIO_DHCP), so a socket that
 * never drains would starve TFTP and HTTP.  One that is still full after
 * PD_FLOOD_WAKES wake-ups in a row is a flood, not a boot storm (one wake-up
 * answers 64 requests in about a millisecond): it is served at the bulk
 * priority, in turn with the transfers, until it drains.
 */
static void
socket_set_flooded(struct pd_socket *s, bool flooded)
{
	struct timespec now;

	s->full_wakes = flooded ? s->full_wakes : 0;
	if (flooded == s->flooded ||
	    event_priority_set(&s->ev, flooded ? SERVER_PRIO_BULK : SERVER_PRIO_DHCP) < 0)
		return;
	s->flooded = flooded;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (flooded && now.tv_sec - s->pd->flood_logged >= PD_FLOOD_LOG_S) {
		s->pd->flood_logged = now.tv_sec;
		log_warn(NULL,
		    "ProxyDHCP port %s stays full (a flood?): serving it in turn with TFTP and "
		    "HTTP until it drains",
		    s->pxe_port ? "4011" : "67");
	} else
		log_debug(NULL, "ProxyDHCP %s priority", flooded ? "lowered to bulk" : "restored");
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct pd_socket *s = arg;
	uint8_t buf[PD_RECV_BUF];
	struct pd_origin o;
	size_t len = 0;
	int r;

	(void)fd;
	(void)what;
	for (unsigned i = 0; i < PD_MAX_PER_WAKE; i++) {
		r = receive_one(s, buf, sizeof(buf), &len, &o);
		if (r < 0)
			log_warn(
			    NULL, "Cannot receive on the DHCP socket: %s, ignoring", strerror(-r));
		if (r <= 0) {
			socket_set_flooded(s, false);
			return;
		}
		s->pd->stats->received++;
		handle_datagram(s, buf, len, &o);
	}
	if (s->full_wakes < PD_FLOOD_WAKES && ++s->full_wakes == PD_FLOOD_WAKES)
		socket_set_flooded(s, true);
}

static int
socket_start(struct proxydhcp *pd, struct pd_socket *s, uint16_t port, bool pxe_port)
{
	int r, rcvbuf = PD_RCVBUF;

	s->pd = pd;
	s->pxe_port = pxe_port;
	r = iface_udp_open(port, IFACE_UDP_BROADCAST, 0, &s->fd);
	if (r < 0) {
		log_err(NULL, "Cannot listen on UDP port %u for ProxyDHCP: %s", port, strerror(-r));
		return r;
	}
	/* Best effort: beyond net.core.rmem_max only with CAP_NET_ADMIN. */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (event_assign(&s->ev, pd->srv->base, s->fd, EV_READ | EV_PERSIST, on_readable, s) < 0 ||
	    event_priority_set(&s->ev, SERVER_PRIO_DHCP) < 0 || event_add(&s->ev, NULL) < 0) {
		log_err(NULL, "Cannot register the ProxyDHCP socket on port %u", port);
		return -ENOMEM;
	}
	s->armed = true;
	return 0;
}

int
proxydhcp_new(struct server *srv, struct proxydhcp **ret)
{
	struct proxydhcp *pd;
	int r;

	pd = calloc(1, sizeof(*pd));
	if (pd == NULL)
		return -ENOMEM;
	pd->srv = srv;
	pd->stats = &srv->stats.dhcp;
	pd->sock[0].fd = pd->sock[1].fd = -1;
	if ((r = socket_start(pd, &pd->sock[0], srv->cfg->dhcp.port, false)) < 0 ||
	    (r = socket_start(pd, &pd->sock[1], srv->cfg->dhcp.pxe_port, true)) < 0) {
		proxydhcp_free(pd);
		return r;
	}
	log_info(NULL, "ProxyDHCP listening on UDP ports %u and %u", srv->cfg->dhcp.port,
	    srv->cfg->dhcp.pxe_port);
	*ret = pd;
	return 0;
}

void
proxydhcp_free(struct proxydhcp *pd)
{
	if (pd == NULL)
		return;
	for (size_t i = 0; i < ELEMENTSOF(pd->sock); i++) {
		if (pd->sock[i].armed)
			event_del(&pd->sock[i].ev);
		if (pd->sock[i].fd >= 0)
			close(pd->sock[i].fd);
	}
	free(pd);
}
