/*
 * DHCPv4 / BOOTP packets (RFC 2131, RFC 2132): a bounds-checked reader and
 * writer over lib/buf.h.  Pure code, no semantics beyond the wire format.
 *
 * The reader validates the fixed header, the magic cookie and the whole
 * option area once, in dhcp_packet_parse(); afterwards walking the options
 * cannot fail.  The option walker handles PAD and END and the option
 * overload (52, RFC 2132 9.3): when the options field carries option 52,
 * the walk continues into 'file' (value 1 or 3) and then 'sname' (2 or 3).
 * Every area must end with END.  Options split into several instances
 * (RFC 3396 long options) are not concatenated: dhcp_packet_get_option()
 * returns the first instance, and consumers check exact lengths.
 *
 * The writer reserves the END byte up front, so a reply that fits always
 * ends properly, and pads the packet to the 300-byte BOOTP minimum that
 * old PXE ROMs expect.
 */
#ifndef NETBOOTD_DHCP_PACKET_H
#define NETBOOTD_DHCP_PACKET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68

#define DHCP_CHADDR_LEN    16
#define DHCP_SNAME_LEN     64
#define DHCP_FILE_LEN      128
#define DHCP_HEADER_LEN    236 /* fixed BOOTP part, up to and including 'file' */
#define DHCP_SNAME_OFFSET  44
#define DHCP_FILE_OFFSET   108
#define DHCP_MAGIC_COOKIE  0x63825363u
#define DHCP_MIN_LEN       240 /* header + magic cookie */
#define DHCP_MIN_REPLY_LEN 300 /* RFC 1542 BOOTP minimum, padded with zeros */
#define DHCP_MAX_REPLY_LEN 576 /* every client must accept this much (RFC 2131) */

enum {
	DHCP_OP_BOOTREQUEST = 1,
	DHCP_OP_BOOTREPLY = 2,
};

#define DHCP_FLAG_BROADCAST 0x8000

enum {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};

enum {
	DHCP_OPT_PAD = 0,
	DHCP_OPT_VENDOR_SPECIFIC = 43,
	DHCP_OPT_OVERLOAD = 52,
	DHCP_OPT_MESSAGE_TYPE = 53,
	DHCP_OPT_SERVER_ID = 54,
	DHCP_OPT_VENDOR_CLASS = 60,
	DHCP_OPT_BOOTFILE = 67,
	DHCP_OPT_USER_CLASS = 77,
	DHCP_OPT_CLIENT_ARCH = 93,
	DHCP_OPT_CLIENT_NDI = 94,
	DHCP_OPT_CLIENT_UUID = 97,
	DHCP_OPT_END = 255,
};

/* The fixed header in host form; addresses stay in network byte order. */
struct dhcp_header {
	uint8_t op;
	uint8_t htype;
	uint8_t hlen; /* <= DHCP_CHADDR_LEN */
	uint8_t hops;
	uint32_t xid;
	uint16_t secs;
	uint16_t flags;
	struct in_addr ciaddr;
	struct in_addr yiaddr;
	struct in_addr siaddr;
	struct in_addr giaddr;
	uint8_t chaddr[DHCP_CHADDR_LEN];
	uint8_t sname[DHCP_SNAME_LEN];
	uint8_t file[DHCP_FILE_LEN];
};

/*
 * A parsed packet.  'raw' points into the caller's buffer, which must outlive
 * the packet and the walks over it.
 */
struct dhcp_packet {
	struct dhcp_header header;
	const uint8_t *raw;
	size_t raw_len;
	uint8_t overload; /* 0, or option 52's value 1..3 */
};

/*
 * Parse and validate 'len' bytes.  -ENOBUFS if shorter than DHCP_MIN_LEN or
 * an option runs past its area or an area has no END; -EBADMSG for a bad op,
 * hlen > 16, a wrong magic cookie or a bad option 52.
 */
int dhcp_packet_parse(const void *buf, size_t len, struct dhcp_packet *ret);

struct dhcp_option_iter {
	const struct dhcp_packet *pkt;
	struct reader r;
	unsigned area; /* 0 options, 1 file, 2 sname, 3 done */
	uint8_t overload;
};

void dhcp_option_iter_init(struct dhcp_option_iter *it, const struct dhcp_packet *pkt);

/*
 * Next option: 1 with its code and body, 0 at the final END, or -ENOBUFS /
 * -EBADMSG (only on packets that dhcp_packet_parse() did not validate).
 */
int dhcp_option_next(struct dhcp_option_iter *it, uint8_t *ret_code, struct reader *ret_body);

/* The body of the first instance of option 'code': 0, or -ENOENT. */
int dhcp_packet_get_option(const struct dhcp_packet *pkt, uint8_t code, struct reader *ret_body);

struct dhcp_writer {
	struct writer w; /* its cap excludes the reserved END byte */
	size_t total_cap;
};

/*
 * Start a packet in 'buf' ('cap' bytes): header and magic cookie.  Reserves
 * one byte for END.  -ENOBUFS if cap < DHCP_MIN_LEN + 1.
 */
int dhcp_writer_init(struct dhcp_writer *dw, void *buf, size_t cap, const struct dhcp_header *h);

/* Append one option.  -EINVAL for code PAD/END or len > 255, -ENOBUFS if full. */
int dhcp_writer_put(struct dhcp_writer *dw, uint8_t code, const void *data, size_t len);

/* Write END, pad to DHCP_MIN_REPLY_LEN when room allows; the length in *ret_len. */
int dhcp_writer_finish(struct dhcp_writer *dw, size_t *ret_len);

#endif
