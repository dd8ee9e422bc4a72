/*
 * Arbitrary bytes through the ProxyDHCP path: parse, walk every option,
 * classify, decide on both ports and build the reply (the boot decision
 * itself has its own target, fuzz-boot-policy).
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "fuzz.h"
#include "pxe.h"

static void
walk_options(const uint8_t *data, size_t size)
{
	struct dhcp_option_iter it;
	struct dhcp_packet pkt;
	struct reader body;
	uint8_t code;
	size_t total = 0;

	if (dhcp_packet_parse(data, size, &pkt) < 0)
		return;
	dhcp_option_iter_init(&it, &pkt);
	while (dhcp_option_next(&it, &code, &body) > 0) {
		/* Touch every byte so sanitizers see any overread. */
		for (size_t i = 0; i < body.left; i++)
			total += body.p[i];
	}
	if (total == (size_t)-1)
		abort(); /* unreachable; keeps 'total' alive */
}

/* With the loader a boot decision could pick (NULL: none, as for iPXE). */
static void
reply_on(const struct pxe_request *req, bool pxe_port, const char *loader)
{
	struct pxe_params p = {.http_port = 8090, .pxe_port = pxe_port};
	uint8_t out[DHCP_MAX_REPLY_LEN];
	struct dhcp_packet check;
	struct pxe_answer a;
	size_t n;

	p.server.s_addr = htonl(0x0a4d0001);
	if (pxe_decide(req, &p, loader, &a) != PXE_ANSWER)
		return;
	if (pxe_reply_build(req, &p, &a, out, sizeof(out), &n) < 0)
		abort(); /* a reply always fits DHCP_MAX_REPLY_LEN */
	if (dhcp_packet_parse(out, n, &check) < 0)
		abort(); /* and what we build, we can read back */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pxe_request req;

	walk_options(data, size);
	if (pxe_request_parse(data, size, &req) < 0)
		return 0;
	reply_on(&req, false, "ipxe.efi");
	reply_on(&req, true, "ipxe.efi");
	reply_on(&req, false, NULL);
	return 0;
}
