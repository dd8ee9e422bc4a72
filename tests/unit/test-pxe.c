/*
 * lib/pxe: golden DISCOVERs and REQUESTs as real clients send them (see
 * PXE-NOTES.md), and the replies checked field by field.
 */
#include <arpa/inet.h>
#include <stdint.h>

#include "boot-policy.h"
#include "pxe.h"
#include "util.h"
#include "test.h"

/* clang-format off */
#define MAC_BYTES  0x52, 0x54, 0x00, 0x12, 0x34, 0x56
#define UUID_BYTES 0x00, 0x8e, 0x2a, 0x61, 0x1f, 0x4c, 0x6b, 0x4d, 0x22, 0x9a, 0x34, 0x1b, \
                   0x55, 0x0e, 0x77, 0x20, 0x01

/* SeaBIOS + iPXE NIC ROM: arch 0, user class "iPXE" sent raw. */
static const uint8_t opts_ipxe_bios[] = {
    53, 1, 1,                       /* DHCPDISCOVER */
    57, 2, 0x05, 0xc0,              /* max message size 1472 */
    93, 2, 0x00, 0x00,              /* arch 0 */
    94, 3, 0x01, 0x02, 0x01,        /* UNDI 2.1 */
    60, 32, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't', ':', 'A', 'r', 'c', 'h', ':', '0', '0',
    '0', '0', '0', ':', 'U', 'N', 'D', 'I', ':', '0', '0', '2', '0', '0', '1',
    77, 4, 'i', 'P', 'X', 'E',      /* user class, raw */
    55, 23, 1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134,
    135, 175, 203,
    175, 6, 0x13, 0x01, 0x01, 0x11, 0x01, 0x01, /* iPXE features: HTTP, DNS */
    61, 7, 0x01, MAC_BYTES,         /* client id */
    97, 17, UUID_BYTES,             /* client UUID */
    255,
};

/* OVMF's own PXE client: arch 7, no user class. */
static const uint8_t opts_ovmf[] = {
    53, 1, 1,
    57, 2, 0x05, 0xc0,
    55, 36, 1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59,
    60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135, 143,
    97, 17, UUID_BYTES,
    94, 3, 0x01, 0x03, 0x00,
    93, 2, 0x00, 0x07,
    60, 32, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't', ':', 'A', 'r', 'c', 'h', ':', '0', '0',
    '0', '0', '7', ':', 'U', 'N', 'D', 'I', ':', '0', '0', '3', '0', '0', '0',
    255,
};

/* iPXE EFI (ROM under OVMF, or chainloaded ipxe.efi): RFC 3004 user class. */
static const uint8_t opts_ipxe_efi[] = {
    53, 1, 1,
    57, 2, 0x05, 0xc0,
    93, 2, 0x00, 0x07,
    94, 3, 0x01, 0x03, 0x10,
    60, 32, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't', ':', 'A', 'r', 'c', 'h', ':', '0', '0',
    '0', '0', '7', ':', 'U', 'N', 'D', 'I', ':', '0', '0', '3', '0', '1', '0',
    77, 10, 4, 'g', 'P', 'X', 'E', 4, 'i', 'P', 'X', 'E', /* two RFC 3004 entries */
    61, 7, 0x01, MAC_BYTES,
    255,
};

/* OVMF UEFI HTTP Boot: arch 16, "HTTPClient". */
static const uint8_t opts_http[] = {
    53, 1, 1,
    57, 2, 0x05, 0xc0,
    55, 12, 1, 3, 6, 12, 15, 28, 43, 60, 66, 67, 97, 119,
    97, 17, UUID_BYTES,
    94, 3, 0x01, 0x03, 0x00,
    93, 2, 0x00, 0x10,
    60, 33, 'H', 'T', 'T', 'P', 'C', 'l', 'i', 'e', 'n', 't', ':', 'A', 'r', 'c', 'h', ':', '0',
    '0', '0', '1', '6', ':', 'U', 'N', 'D', 'I', ':', '0', '0', '3', '0', '0', '0',
    255,
};

/* A plain DHCP client (udhcpc): must be ignored. */
static const uint8_t opts_not_pxe[] = {
    53, 1, 1,
    61, 7, 0x01, MAC_BYTES,
    57, 2, 0x02, 0x40,
    55, 7, 1, 3, 6, 12, 15, 28, 42,
    60, 12, 'u', 'd', 'h', 'c', 'p', ' ', '1', '.', '3', '5', '.', '0',
    255,
};

/* A PXE ROM of an architecture without a loader (ARM 32-bit UEFI). */
static const uint8_t opts_arm32[] = {
    53, 1, 1,
    93, 2, 0x00, 0x0a,
    60, 32, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't', ':', 'A', 'r', 'c', 'h', ':', '0', '0',
    '0', '1', '0', ':', 'U', 'N', 'D', 'I', ':', '0', '0', '3', '0', '0', '0',
    255,
};
/* clang-format on */

static const uint8_t uuid[PXE_UUID_LEN] = {UUID_BYTES};
static const uint8_t mac[6] = {MAC_BYTES};

static uint8_t pkt_buf[1024];

/* The request header byte by byte: op htype hlen hops, xid, secs, flags, ... */
static size_t
make_request(
    const uint8_t *opts, size_t optlen, uint16_t flags, const char *ciaddr, const char *giaddr)
{
	uint8_t *b = pkt_buf;
	in_addr_t ci = ciaddr ? inet_addr(ciaddr) : 0, gi = giaddr ? inet_addr(giaddr) : 0;

	memset(pkt_buf, 0, sizeof(pkt_buf));
	b[0] = 1;
	b[1] = 1;
	b[2] = 6;
	b[3] = 0;
	b[4] = 0x12, b[5] = 0x34, b[6] = 0x56, b[7] = 0x78;
	b[8] = 0, b[9] = 4;
	b[10] = (uint8_t)(flags >> 8), b[11] = (uint8_t)flags;
	memcpy(b + 12, &ci, 4);
	memcpy(b + 24, &gi, 4);
	memcpy(b + 28, mac, 6);
	b[236] = 0x63, b[237] = 0x82, b[238] = 0x53, b[239] = 0x63;
	memcpy(b + 240, opts, optlen);
	return 240 + optlen;
}

static struct pxe_params
params(bool pxe_port)
{
	return (struct pxe_params){
	    .server.s_addr = inet_addr("10.77.0.1"),
	    .http_port = 8090,
	    .pxe_port = pxe_port,
	};
}

/* The loaders the boot decision picks from (ipxe.bios, efi32, efi64, arm64). */
static const char *loaders[_BOOT_LOADER_MAX] = {"undionly.kpxe", NULL, "ipxe.efi", NULL};

static int
no_machine(void *u, const uint8_t m[MAC_LEN], struct boot_machine *ret)
{
	return -ENOENT;
}

static bool
no_image(void *u, const char *name)
{
	return false;
}

static int
no_only_image(void *u, char **ret)
{
	return -ENOENT;
}

static int
no_cmdline(void *u, const char *name, char **ret)
{
	*ret = NULL;
	return 0;
}

/* As ProxyDHCP does: the packet check, the boot decision, the answer. */
#define POLICY(reason) (100 + (reason)) /* the boot decision said no, for this reason */

static int
decide(const struct pxe_request *req, const struct pxe_params *p, struct pxe_answer *a)
{
	static const enum boot_firmware fw[] = {
	    BOOT_FIRMWARE_NONE, BOOT_FIRMWARE_PXE, BOOT_FIRMWARE_IPXE, BOOT_FIRMWARE_HTTP};
	struct boot_view v = {.default_boot = true,
	    .cmdline = "",
	    .machine = no_machine,
	    .image_exists = no_image,
	    .image_only = no_only_image,
	    .image_cmdline = no_cmdline};
	struct boot_client c = {.firmware = fw[req->client],
	    .has_mac = req->has_mac,
	    .has_arch = true,
	    .arch = req->arch};
	struct boot_plan plan;
	enum pxe_verdict pv = pxe_check(req, p->pxe_port);

	if (pv != PXE_ANSWER)
		return pv;
	memcpy(v.loaders, loaders, sizeof(loaders));
	memcpy(c.mac, req->mac, MAC_LEN);
	CHECK_EQ_INT(boot_decide(&v, &c, BOOT_SERVICE_DHCP, &plan), 0);
	if (plan.action == BOOT_IGNORE)
		return POLICY(plan.reason);
	return pxe_decide(req, p, plan.loader, a);
}

struct expect {
	uint8_t msg_type;
	const char *file;
	const char *vendor_class;
	bool uuid;
	bool opt43;
	uint16_t flags;
	const char *ciaddr;
	const char *giaddr;
};

static void
check_option(const struct dhcp_packet *pkt, uint8_t code, const void *want, size_t n)
{
	struct reader body;

	CHECK_EQ_INT(dhcp_packet_get_option(pkt, code, &body), 0);
	CHECK_EQ_INT(body.left, n);
	if (body.left == n)
		CHECK_EQ_MEM(body.p, want, n);
}

/* Field by field, on the raw bytes and through the parser. */
static void
check_reply(const uint8_t *r, size_t len, const struct expect *e)
{
	static const uint8_t opt43[] = {6, 1, 8, 255};
	in_addr_t server = inet_addr("10.77.0.1");
	in_addr_t ci = e->ciaddr ? inet_addr(e->ciaddr) : 0,
	          gi = e->giaddr ? inet_addr(e->giaddr) : 0;
	struct dhcp_packet pkt;
	struct reader body;
	uint8_t file[DHCP_FILE_LEN] = {0};

	CHECK_EQ_INT(len, DHCP_MIN_REPLY_LEN);
	CHECK_EQ_INT(r[0], 2);                      /* op BOOTREPLY */
	CHECK_EQ_INT(r[1], 1);                      /* htype */
	CHECK_EQ_INT(r[2], 6);                      /* hlen */
	CHECK_EQ_INT(r[3], 0);                      /* hops */
	CHECK_EQ_MEM(r + 4, "\x12\x34\x56\x78", 4); /* xid */
	CHECK_EQ_INT(r[8] | r[9], 0);               /* secs */
	CHECK_EQ_INT((r[10] << 8) | r[11], e->flags);
	CHECK_EQ_MEM(r + 12, &ci, 4);        /* ciaddr */
	CHECK_EQ_MEM(r + 16, "\0\0\0\0", 4); /* yiaddr: never an address */
	CHECK_EQ_MEM(r + 20, &server, 4);    /* siaddr */
	CHECK_EQ_MEM(r + 24, &gi, 4);        /* giaddr */
	CHECK_EQ_MEM(r + 28, mac, 6);        /* chaddr */
	CHECK_EQ_MEM(r + 34, "\0\0\0\0\0\0\0\0\0\0", 10);
	CHECK_EQ_INT(r[44], 0); /* sname empty */
	memcpy(file, e->file, strlen(e->file));
	CHECK_EQ_MEM(r + 108, file, DHCP_FILE_LEN);
	CHECK_EQ_MEM(r + 236, "\x63\x82\x53\x63", 4);

	CHECK_EQ_INT(dhcp_packet_parse(r, len, &pkt), 0);
	CHECK_EQ_INT(pkt.overload, 0);
	check_option(&pkt, 53, &e->msg_type, 1);
	check_option(&pkt, 54, &server, 4);
	check_option(&pkt, 60, e->vendor_class, strlen(e->vendor_class));
	if (e->uuid)
		check_option(&pkt, 97, uuid, sizeof(uuid));
	else
		CHECK_EQ_INT(dhcp_packet_get_option(&pkt, 97, &body), -ENOENT);
	if (e->opt43)
		check_option(&pkt, 43, opt43, sizeof(opt43));
	else
		CHECK_EQ_INT(dhcp_packet_get_option(&pkt, 43, &body), -ENOENT);
	CHECK_EQ_INT(dhcp_packet_get_option(&pkt, 67, &body), -ENOENT);
	CHECK_EQ_INT(dhcp_packet_get_option(&pkt, 50, &body), -ENOENT);
}

/* Parse, decide and build; the verdict is returned, the reply in 'out'. */
static int
run(size_t len, bool pxe_port, struct pxe_request *req, uint8_t *out, size_t *out_len)
{
	struct pxe_params p = params(pxe_port);
	struct pxe_answer a;
	int v;

	CHECK_EQ_INT(pxe_request_parse(pkt_buf, len, req), 0);
	v = decide(req, &p, &a);
	if (v == PXE_ANSWER)
		CHECK_EQ_INT(pxe_reply_build(req, &p, &a, out, DHCP_MAX_REPLY_LEN, out_len), 0);
	return v;
}

static void
test_ipxe_bios(void)
{
	size_t len = make_request(opts_ipxe_bios, sizeof(opts_ipxe_bios), 0, NULL, NULL);
	uint8_t out[DHCP_MAX_REPLY_LEN];
	struct pxe_request req;
	size_t n = 0;

	CHECK_EQ_INT(run(len, false, &req, out, &n), PXE_ANSWER);
	CHECK_EQ_INT(req.client, PXE_CLIENT_IPXE);
	CHECK_EQ_INT(req.arch, 0);
	CHECK_EQ_INT(req.msg_type, DHCP_DISCOVER);
	CHECK(req.has_uuid && req.has_mac);
	check_reply(out, n,
	    &(struct expect){DHCP_OFFER, "http://10.77.0.1:8090/ipxe/52-54-00-12-34-56",
	        "PXEClient", true, false, 0, NULL, NULL});
}

static void
test_ovmf_pxe(void)
{
	size_t len = make_request(opts_ovmf, sizeof(opts_ovmf), 0x8000, NULL, NULL);
	uint8_t out[DHCP_MAX_REPLY_LEN];
	struct pxe_request req;
	size_t n = 0;

	CHECK_EQ_INT(run(len, false, &req, out, &n), PXE_ANSWER);
	CHECK_EQ_INT(req.client, PXE_CLIENT_PXE);
	CHECK_EQ_INT(req.arch, 7);
	check_reply(out, n,
	    &(struct expect){DHCP_OFFER, "ipxe.efi", "PXEClient", true, false, 0x8000, NULL, NULL});

	/* Then its REQUEST to port 4011, with the address the site DHCP gave. */
	len = make_request(opts_ovmf, sizeof(opts_ovmf), 0, "10.77.0.50", NULL);
	pkt_buf[242] = DHCP_REQUEST;
	CHECK_EQ_INT(run(len, true, &req, out, &n), PXE_ANSWER);
	check_reply(out, n,
	    &(struct expect){
	        DHCP_ACK, "ipxe.efi", "PXEClient", true, false, 0, "10.77.0.50", NULL});
	pkt_buf[242] = DHCP_INFORM;
	CHECK_EQ_INT(run(len, true, &req, out, &n), PXE_ANSWER);
	check_reply(out, n,
	    &(struct expect){
	        DHCP_ACK, "ipxe.efi", "PXEClient", true, false, 0, "10.77.0.50", NULL});

	/* A REQUEST on port 67 belongs to the site DHCP server. */
	pkt_buf[242] = DHCP_REQUEST;
	CHECK_EQ_INT(run(len, false, &req, out, &n), PXE_IGNORE_MSG_TYPE);
	/* A DISCOVER on port 4011 is not answered either. */
	pkt_buf[242] = DHCP_DISCOVER;
	CHECK_EQ_INT(run(len, true, &req, out, &n), PXE_IGNORE_MSG_TYPE);
}

static void
test_pxe_bios_rom(void)
{
	/* A BIOS PXE ROM without iPXE: option 43 "boot the file, no discovery". */
	uint8_t opts[sizeof(opts_ipxe_bios)];
	uint8_t out[DHCP_MAX_REPLY_LEN];
	struct pxe_request req;
	size_t len, n = 0;
	uint8_t *u;

	memcpy(opts, opts_ipxe_bios, sizeof(opts));
	u = memchr(opts + 40, 77, sizeof(opts) - 40);
	CHECK(u != NULL && u[1] == 4);
	u[2] = 'g'; /* "gPXE" is not iPXE */
	len = make_request(opts, sizeof(opts), 0, NULL, "10.9.0.1");
	CHECK_EQ_INT(run(len, false, &req, out, &n), PXE_ANSWER);
	CHECK_EQ_INT(req.client, PXE_CLIENT_PXE);
	check_reply(out, n,
	    &(struct expect){
	        DHCP_OFFER, "undionly.kpxe", "PXEClient", true, true, 0, NULL, "10.9.0.1"});
}

static void
test_ipxe_efi(void)
{
	size_t len = make_request(opts_ipxe_efi, sizeof(opts_ipxe_efi), 0, NULL, NULL);
	uint8_t out[DHCP_MAX_REPLY_LEN];
	struct pxe_request req;
	size_t n = 0;

	CHECK_EQ_INT(run(len, false, &req, out, &n), PXE_ANSWER);
	CHECK_EQ_INT(req.client, PXE_CLIENT_IPXE);
	CHECK_EQ_INT(req.arch, 7);
	CHECK(!req.has_uuid);
	check_reply(out, n,
	    &(struct expect){DHCP_OFFER, "http://10.77.0.1:8090/ipxe/52-54-00-12-34-56",
	        "PXEClient", false, false, 0, NULL, NULL});
}

static void
test_http_boot(void)
{
	size_t len = make_request(opts_http, sizeof(opts_http), 0, NULL, NULL);
	uint8_t out[DHCP_MAX_REPLY_LEN];
	struct pxe_request req;
	size_t n = 0;

	CHECK_EQ_INT(run(len, false, &req, out, &n), PXE_ANSWER);
	CHECK_EQ_INT(req.client, PXE_CLIENT_HTTP);
	CHECK_EQ_INT(req.arch, 16);
	check_reply(out, n,
	    &(struct expect){DHCP_OFFER, "http://10.77.0.1:8090/boot/ipxe.efi", "HTTPClient", true,
	        false, 0, NULL, NULL});

	/* ARM64 HTTP Boot without an arm64 loader. */
	pkt_buf[240 + sizeof(opts_http) - 37] = 19;
	CHECK_EQ_INT(run(len, false, &req, out, &n), POLICY(BOOT_REASON_NO_LOADER));
	CHECK_EQ_INT(req.arch, 19);
	/* HTTPClient with a PXE arch is unsupported. */
	pkt_buf[240 + sizeof(opts_http) - 37] = 7;
	CHECK_EQ_INT(run(len, false, &req, out, &n), POLICY(BOOT_REASON_UNKNOWN_ARCH));
}

static void
test_not_pxe(void)
{
	size_t len = make_request(opts_not_pxe, sizeof(opts_not_pxe), 0, NULL, NULL);
	uint8_t out[DHCP_MAX_REPLY_LEN];
	struct pxe_request req;
	size_t n = 0;

	CHECK_EQ_INT(run(len, false, &req, out, &n), PXE_IGNORE_NOT_PXE);
	CHECK_EQ_INT(req.client, PXE_CLIENT_NONE);

	/* BOOTP (no option 53) and BOOTREPLYs are not answered either. */
	len = make_request(opts_ipxe_bios + 3, sizeof(opts_ipxe_bios) - 3, 0, NULL, NULL);
	CHECK_EQ_INT(run(len, false, &req, out, &n), PXE_IGNORE_NOT_PXE);
	len = make_request(opts_ipxe_bios, sizeof(opts_ipxe_bios), 0, NULL, NULL);
	pkt_buf[0] = 2;
	CHECK_EQ_INT(run(len, false, &req, out, &n), PXE_IGNORE_NOT_PXE);
}

static void
test_arch_without_loader(void)
{
	size_t len = make_request(opts_arm32, sizeof(opts_arm32), 0, NULL, NULL);
	uint8_t out[DHCP_MAX_REPLY_LEN];
	struct pxe_request req;
	size_t n = 0;

	CHECK_EQ_INT(run(len, false, &req, out, &n), POLICY(BOOT_REASON_NO_LOADER));
	CHECK_EQ_INT(req.arch, 10);
	pkt_buf[240 + 6] = 11; /* ARM64 PXE, arm64 loader unset */
	CHECK_EQ_INT(run(len, false, &req, out, &n), POLICY(BOOT_REASON_NO_LOADER));
	pkt_buf[240 + 6] = 6; /* IA32, efi32 unset */
	CHECK_EQ_INT(run(len, false, &req, out, &n), POLICY(BOOT_REASON_NO_LOADER));
	pkt_buf[240 + 5] = 0x12; /* 0x1206: unknown */
	CHECK_EQ_INT(run(len, false, &req, out, &n), POLICY(BOOT_REASON_UNKNOWN_ARCH));
	CHECK_EQ_INT(req.arch, 0x1206);
	/* With option 93 gone, the arch comes from option 60: 00010. */
	pkt_buf[240 + 3] = 0;
	pkt_buf[240 + 4] = 0;
	pkt_buf[240 + 5] = 0;
	pkt_buf[240 + 6] = 0;
	CHECK_EQ_INT(run(len, false, &req, out, &n), POLICY(BOOT_REASON_NO_LOADER));
	CHECK_EQ_INT(req.arch, 10);
}

static void
test_loader_too_long(void)
{
	size_t len = make_request(opts_ovmf, sizeof(opts_ovmf), 0, NULL, NULL);
	struct pxe_params p = params(false);
	char name[200];
	struct pxe_request req;
	struct pxe_answer a;

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	loaders[BOOT_LOADER_EFI64] = name;
	CHECK_EQ_INT(pxe_request_parse(pkt_buf, len, &req), 0);
	CHECK_EQ_INT(decide(&req, &p, &a), PXE_IGNORE_TOO_LONG);
	name[128] = '\0';
	CHECK_EQ_INT(decide(&req, &p, &a), PXE_IGNORE_TOO_LONG);
	name[127] = '\0'; /* 127 bytes + NUL fill the 'file' field */
	CHECK_EQ_INT(decide(&req, &p, &a), PXE_ANSWER);
	CHECK_EQ_INT(strlen(a.boot_file), 127);
	loaders[BOOT_LOADER_EFI64] = ""; /* empty means unset */
	CHECK_EQ_INT(decide(&req, &p, &a), POLICY(BOOT_REASON_NO_LOADER));
	loaders[BOOT_LOADER_EFI64] = "ipxe.efi";
}

static void
test_ipxe_without_mac(void)
{
	size_t len = make_request(opts_ipxe_bios, sizeof(opts_ipxe_bios), 0, NULL, NULL);
	uint8_t out[DHCP_MAX_REPLY_LEN];
	struct pxe_request req;
	size_t n = 0;

	pkt_buf[1] = 32; /* InfiniBand */
	pkt_buf[2] = 0;
	CHECK_EQ_INT(run(len, false, &req, out, &n), POLICY(BOOT_REASON_NO_MAC));
}

static void
test_malformed_options(void)
{
	static const uint8_t bad_53[] = {
	    53, 2, 1, 1, 60, 9, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't', 255};
	static const uint8_t empty_93[] = {
	    53, 1, 1, 93, 0, 60, 9, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't', 255};
	uint8_t opts[sizeof(opts_ovmf)];
	struct pxe_request req = {.arch = 4242}, before = req;
	size_t len;

	/* Option 93 with an odd length (the second arch byte becomes a PAD). */
	memcpy(opts, opts_ovmf, sizeof(opts));
	opts[sizeof(opts) - 38] = 1;
	opts[sizeof(opts) - 36] = 0;
	len = make_request(opts, sizeof(opts), 0, NULL, NULL);
	CHECK_EQ_INT(pxe_request_parse(pkt_buf, len, &req), -EBADMSG);
	len = make_request(empty_93, sizeof(empty_93), 0, NULL, NULL);
	CHECK_EQ_INT(pxe_request_parse(pkt_buf, len, &req), -EBADMSG);
	len = make_request(bad_53, sizeof(bad_53), 0, NULL, NULL);
	CHECK_EQ_INT(pxe_request_parse(pkt_buf, len, &req), -EBADMSG);
	CHECK_EQ_MEM(&req, &before, sizeof(req)); /* untouched on failure */
	/* Option 97 with another UUID type: accepted, not echoed. */
	memcpy(opts, opts_ovmf, sizeof(opts));
	len = make_request(opts, sizeof(opts), 0, NULL, NULL);
	pkt_buf[240 + 3 + 4 + 38 + 2] = 1;
	CHECK_EQ_INT(pxe_request_parse(pkt_buf, len, &req), 0);
	CHECK(!req.has_uuid);
	CHECK_EQ_INT(req.client, PXE_CLIENT_PXE);
}

/* Every prefix and every single-byte change of the golden packets: no crash. */
static void
test_truncations_and_flips(void)
{
	static const struct {
		const uint8_t *p;
		size_t n;
	} golden[] = {
	    {opts_ipxe_bios, sizeof(opts_ipxe_bios)},
	    {opts_ovmf, sizeof(opts_ovmf)},
	    {opts_ipxe_efi, sizeof(opts_ipxe_efi)},
	    {opts_http, sizeof(opts_http)},
	};
	struct pxe_params p = params(false);
	uint8_t out[DHCP_MAX_REPLY_LEN], copy[1024];
	unsigned answered = 0;

	for (size_t g = 0; g < ELEMENTSOF(golden); g++) {
		size_t len = make_request(golden[g].p, golden[g].n, 0, NULL, NULL);

		memcpy(copy, pkt_buf, len);
		for (size_t l = 0; l < len; l++) {
			struct pxe_request req;
			int r = pxe_request_parse(copy, l, &req);

			CHECK(r == -ENOBUFS || r == -EBADMSG);
		}
		for (size_t i = 0; i < len; i++) {
			for (unsigned bit = 0; bit < 8; bit++) {
				struct pxe_request req;
				struct pxe_answer a;
				size_t n;

				copy[i] ^= (uint8_t)(1u << bit);
				if (pxe_request_parse(copy, len, &req) == 0 &&
				    decide(&req, &p, &a) == PXE_ANSWER) {
					CHECK_EQ_INT(
					    pxe_reply_build(&req, &p, &a, out, sizeof(out), &n), 0);
					answered++;
				}
				copy[i] ^= (uint8_t)(1u << bit);
			}
		}
	}
	CHECK(answered > 0);
}

/* An EFI image's file: a URL under /images/ for HTTP Boot, the TFTP name for a PXE ROM. */
static void
test_efi_image_file(void)
{
	struct pxe_params p = params(false);
	struct pxe_request req;
	struct pxe_answer a;
	size_t len = make_request(opts_http, sizeof(opts_http), 0, NULL, NULL);

	CHECK_EQ_INT(pxe_request_parse(pkt_buf, len, &req), 0);
	CHECK_EQ_INT(pxe_decide(&req, &p, "images/uki/boot.efi", &a), PXE_ANSWER);
	CHECK_EQ_STR(a.boot_file, "http://10.77.0.1:8090/images/uki/boot.efi");
	len = make_request(opts_ovmf, sizeof(opts_ovmf), 0, NULL, NULL);
	CHECK_EQ_INT(pxe_request_parse(pkt_buf, len, &req), 0);
	CHECK_EQ_INT(pxe_decide(&req, &p, "images/uki/boot.efi", &a), PXE_ANSWER);
	CHECK_EQ_STR(a.boot_file, "images/uki/boot.efi");
}

TEST_MAIN(TEST(test_efi_image_file), TEST(test_ipxe_bios), TEST(test_ovmf_pxe),
    TEST(test_pxe_bios_rom), TEST(test_ipxe_efi), TEST(test_http_boot), TEST(test_not_pxe),
    TEST(test_arch_without_loader), TEST(test_loader_too_long), TEST(test_ipxe_without_mac),
    TEST(test_malformed_options), TEST(test_truncations_and_flips))
