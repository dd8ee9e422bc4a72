#include "pxe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PXE_VENDOR_PXE  "PXEClient"
#define PXE_VENDOR_HTTP "HTTPClient"
#define PXE_USER_IPXE   "iPXE"

/* PXE vendor sub-options (option 43, PXE 2.1 table 2-1). */
#define PXE_SUBOPT_DISCOVERY_CONTROL 6
#define PXE_DISCOVERY_BOOT_FILE      0x08 /* boot the file in the offer, no discovery/menu */

static bool
body_starts_with(const struct reader *body, const char *prefix)
{
	size_t n = strlen(prefix);

	return body->left >= n && memcmp(body->p, prefix, n) == 0;
}

static bool
body_equals(const struct reader *body, const char *s)
{
	return body->left == strlen(s) && memcmp(body->p, s, body->left) == 0;
}

/* Option 77: RFC 3004 length-prefixed entries, or the raw string some iPXE send. */
static bool
user_class_is_ipxe(struct reader body)
{
	struct reader entry;
	uint8_t len;

	if (body_equals(&body, PXE_USER_IPXE))
		return true;
	while (body.left > 0) {
		if (read_u8(&body, &len) < 0 || read_sub(&body, len, &entry) < 0)
			return false;
		if (body_equals(&entry, PXE_USER_IPXE))
			return true;
	}
	return false;
}

/* "PXEClient:Arch:00007:..." -> 7; false if the string has no such field. */
static bool
arch_from_vendor_class(const struct reader *body, size_t prefix_len, uint16_t *ret)
{
	static const char tag[] = ":Arch:";
	const uint8_t *p = body->p + prefix_len;
	unsigned v = 0;

	if (body->left < prefix_len + 6 + 5 || memcmp(p, tag, 6) != 0)
		return false;
	for (size_t i = 0; i < 5; i++) {
		if (p[6 + i] < '0' || p[6 + i] > '9')
			return false;
		v = v * 10 + (unsigned)(p[6 + i] - '0');
	}
	if (v > UINT16_MAX)
		return false;
	*ret = (uint16_t)v;
	return true;
}

static int
parse_msg_type(const struct dhcp_packet *pkt, uint8_t *ret)
{
	struct reader body;

	if (dhcp_packet_get_option(pkt, DHCP_OPT_MESSAGE_TYPE, &body) < 0) {
		*ret = 0;
		return 0;
	}
	return body.left == 1 ? read_u8(&body, ret) : -EBADMSG;
}

/* Vendor class and user class decide the client kind, and give an arch fallback. */
static enum pxe_client
classify_client(const struct dhcp_packet *pkt, uint16_t *arch)
{
	struct reader vc, uc;
	size_t prefix_len;
	bool http;

	if (dhcp_packet_get_option(pkt, DHCP_OPT_VENDOR_CLASS, &vc) < 0)
		return PXE_CLIENT_NONE;
	if (body_starts_with(&vc, PXE_VENDOR_PXE)) {
		http = false;
		prefix_len = strlen(PXE_VENDOR_PXE);
	} else if (body_starts_with(&vc, PXE_VENDOR_HTTP)) {
		http = true;
		prefix_len = strlen(PXE_VENDOR_HTTP);
	} else {
		return PXE_CLIENT_NONE;
	}
	if (!arch_from_vendor_class(&vc, prefix_len, arch))
		*arch = http ? PXE_ARCH_HTTP_X64 : PXE_ARCH_BIOS;
	if (dhcp_packet_get_option(pkt, DHCP_OPT_USER_CLASS, &uc) == 0 && user_class_is_ipxe(uc))
		return PXE_CLIENT_IPXE;
	return http ? PXE_CLIENT_HTTP : PXE_CLIENT_PXE;
}

static int
parse_arch(const struct dhcp_packet *pkt, uint16_t *arch)
{
	struct reader body;

	if (dhcp_packet_get_option(pkt, DHCP_OPT_CLIENT_ARCH, &body) < 0)
		return 0; /* keep the fallback */
	if (body.left < 2 || body.left % 2 != 0)
		return -EBADMSG;
	return read_be16(&body, arch);
}

/* Options that are echoed or merely noted: a bad length means "absent". */
static void
parse_optional(const struct dhcp_packet *pkt, struct pxe_request *req)
{
	struct reader body;

	if (dhcp_packet_get_option(pkt, DHCP_OPT_CLIENT_UUID, &body) == 0 &&
	    body.left == PXE_UUID_LEN && body.p[0] == 0) {
		memcpy(req->uuid, body.p, PXE_UUID_LEN);
		req->has_uuid = true;
	}
	if (dhcp_packet_get_option(pkt, DHCP_OPT_SERVER_ID, &body) == 0 && body.left == 4) {
		memcpy(&req->server_id.s_addr, body.p, 4);
		req->has_server_id = true;
	}
}

int
pxe_request_parse(const void *buf, size_t len, struct pxe_request *ret)
{
	struct pxe_request req = {0};
	struct dhcp_packet pkt;
	int r;

	r = dhcp_packet_parse(buf, len, &pkt);
	if (r < 0)
		return r;
	req.header = pkt.header;
	r = parse_msg_type(&pkt, &req.msg_type);
	if (r < 0)
		return r;
	if (pkt.header.htype == 1 && pkt.header.hlen == MAC_LEN) {
		memcpy(req.mac, pkt.header.chaddr, MAC_LEN);
		req.has_mac = true;
	}
	if (pkt.header.op == DHCP_OP_BOOTREQUEST && req.msg_type != 0)
		req.client = classify_client(&pkt, &req.arch);
	if (req.client != PXE_CLIENT_NONE && (r = parse_arch(&pkt, &req.arch)) < 0)
		return r;
	parse_optional(&pkt, &req);
	*ret = req;
	return 0;
}

enum pxe_verdict
pxe_check(const struct pxe_request *req, bool pxe_port)
{
	if (req->client == PXE_CLIENT_NONE)
		return PXE_IGNORE_NOT_PXE;
	if (!pxe_port && req->msg_type == DHCP_DISCOVER)
		return PXE_ANSWER;
	if (pxe_port && (req->msg_type == DHCP_REQUEST || req->msg_type == DHCP_INFORM))
		return PXE_ANSWER;
	return PXE_IGNORE_MSG_TYPE;
}

static enum pxe_verdict format_file(char buf[DHCP_FILE_LEN], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum pxe_verdict
format_file(char buf[DHCP_FILE_LEN], const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, DHCP_FILE_LEN, fmt, ap);
	va_end(ap);
	return n >= 0 && n < DHCP_FILE_LEN ? PXE_ANSWER : PXE_IGNORE_TOO_LONG;
}

/* The script URL with what it can carry of arch and uuid. */
static enum pxe_verdict
script_url(char buf[DHCP_FILE_LEN], const char *addr, const struct pxe_params *p, const char *mac)
{
	if (p->arch != NULL && p->uuid != NULL &&
	    format_file(buf, "http://%s:%u/ipxe/%s?arch=%s&uuid=%s", addr, p->http_port, mac,
	        p->arch, p->uuid) == PXE_ANSWER)
		return PXE_ANSWER;
	if (p->arch != NULL)
		return format_file(
		    buf, "http://%s:%u/ipxe/%s?arch=%s", addr, p->http_port, mac, p->arch);
	return format_file(buf, "http://%s:%u/ipxe/%s", addr, p->http_port, mac);
}

static enum pxe_verdict
boot_file(const struct pxe_request *req, const struct pxe_params *p, const char *loader,
    char buf[DHCP_FILE_LEN])
{
	char addr[INET_ADDRSTRLEN], mac[MAC_STRLEN];

	inet_ntop(AF_INET, &p->server, addr, sizeof(addr));
	if (req->client == PXE_CLIENT_IPXE) {
		if (!req->has_mac)
			return PXE_IGNORE_NO_MAC;
		mac_format(req->mac, '-', mac);
		return script_url(buf, addr, p, mac);
	}
	if (loader == NULL)
		return PXE_IGNORE_NOT_PXE;
	if (req->client == PXE_CLIENT_HTTP)
		return format_file(buf, "http://%s:%u/%s%s", addr, p->http_port,
		    strncmp(loader, "loaders/", 8) == 0 || strncmp(loader, "images/", 7) == 0
		        ? ""
		        : "boot/",
		    loader);
	return format_file(buf, "%s", loader);
}

enum pxe_verdict
pxe_decide(const struct pxe_request *req, const struct pxe_params *p, const char *loader,
    struct pxe_answer *ret)
{
	struct pxe_answer a = {0};
	enum pxe_verdict v = pxe_check(req, p->pxe_port);

	if (v != PXE_ANSWER)
		return v;
	a.msg_type = p->pxe_port ? DHCP_ACK : DHCP_OFFER;
	v = boot_file(req, p, loader, a.boot_file);
	if (v != PXE_ANSWER)
		return v;
	a.vendor_options = req->client == PXE_CLIENT_PXE && req->arch == PXE_ARCH_BIOS;
	*ret = a;
	return PXE_ANSWER;
}

static void
reply_header(const struct pxe_request *req, const struct pxe_params *p, const struct pxe_answer *a,
    struct dhcp_header *h)
{
	*h = (struct dhcp_header){
	    .op = DHCP_OP_BOOTREPLY,
	    .htype = req->header.htype,
	    .hlen = req->header.hlen,
	    .xid = req->header.xid,
	    .flags = req->header.flags,
	    .siaddr = p->server,
	    .giaddr = req->header.giaddr,
	};
	if (a->msg_type == DHCP_ACK)
		h->ciaddr = req->header.ciaddr;
	memcpy(h->chaddr, req->header.chaddr, DHCP_CHADDR_LEN);
	memcpy(h->file, a->boot_file, strnlen(a->boot_file, DHCP_FILE_LEN - 1));
}

int
pxe_reply_build(const struct pxe_request *req, const struct pxe_params *p,
    const struct pxe_answer *a, void *buf, size_t cap, size_t *ret_len)
{
	static const uint8_t vendor[] = {
	    PXE_SUBOPT_DISCOVERY_CONTROL, 1, PXE_DISCOVERY_BOOT_FILE, DHCP_OPT_END};
	const char *vc = req->client == PXE_CLIENT_HTTP ? PXE_VENDOR_HTTP : PXE_VENDOR_PXE;
	struct dhcp_writer dw;
	struct dhcp_header h;
	int r;

	reply_header(req, p, a, &h);
	r = dhcp_writer_init(&dw, buf, cap, &h);
	if (r < 0)
		return r;
	if ((r = dhcp_writer_put(&dw, DHCP_OPT_MESSAGE_TYPE, &a->msg_type, 1)) < 0 ||
	    (r = dhcp_writer_put(&dw, DHCP_OPT_SERVER_ID, &p->server.s_addr, 4)) < 0 ||
	    (r = dhcp_writer_put(&dw, DHCP_OPT_VENDOR_CLASS, vc, strlen(vc))) < 0)
		return r;
	if (req->has_uuid &&
	    (r = dhcp_writer_put(&dw, DHCP_OPT_CLIENT_UUID, req->uuid, PXE_UUID_LEN)) < 0)
		return r;
	if (a->vendor_options &&
	    (r = dhcp_writer_put(&dw, DHCP_OPT_VENDOR_SPECIFIC, vendor, sizeof(vendor))) < 0)
		return r;
	return dhcp_writer_finish(&dw, ret_len);
}

const char *
pxe_client_name(enum pxe_client c)
{
	switch (c) {
	case PXE_CLIENT_PXE:
		return "PXE ROM";
	case PXE_CLIENT_IPXE:
		return "iPXE";
	case PXE_CLIENT_HTTP:
		return "UEFI HTTP Boot";
	default:
		return "not a boot client";
	}
}

const char *
pxe_verdict_name(enum pxe_verdict v)
{
	static const char *const names[] = {
	    [PXE_ANSWER] = "answer",
	    [PXE_IGNORE_NOT_PXE] = "not a PXE or HTTP boot client",
	    [PXE_IGNORE_MSG_TYPE] = "message type not answered on this port",
	    [PXE_IGNORE_NO_MAC] = "no Ethernet MAC address for the script URL",
	    [PXE_IGNORE_TOO_LONG] = "boot file name longer than 127 bytes",
	};

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "unknown";
}
