/*
 * lib/dhcp-packet: the reader, the option walker (PAD, END, overload) and the
 * writer, on packets built byte by byte.
 */
#include <arpa/inet.h>
#include <stdint.h>

#include "dhcp-packet.h"
#include "test.h"

/* A BOOTREQUEST header (236 bytes) + magic cookie, then 'opts'. */
static size_t
make_packet(uint8_t *buf, size_t cap, const uint8_t *opts, size_t optlen)
{
	static const uint8_t head[] = {
	    0x01, 0x01, 0x06, 0x00,             /* op htype hlen hops */
	    0xde, 0xad, 0xbe, 0xef,             /* xid */
	    0x00, 0x04, 0x80, 0x00,             /* secs 4, flags broadcast */
	    0, 0, 0, 0,                         /* ciaddr */
	    0, 0, 0, 0,                         /* yiaddr */
	    0, 0, 0, 0,                         /* siaddr */
	    10, 1, 2, 3,                        /* giaddr */
	    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, /* chaddr */
	};

	memset(buf, 0, cap);
	memcpy(buf, head, sizeof(head));
	buf[236] = 0x63;
	buf[237] = 0x82;
	buf[238] = 0x53;
	buf[239] = 0x63;
	memcpy(buf + 240, opts, optlen);
	return 240 + optlen;
}

static void
test_parse_header(void)
{
	static const uint8_t opts[] = {53, 1, 1, 255};
	uint8_t buf[512];
	size_t len = make_packet(buf, sizeof(buf), opts, sizeof(opts));
	struct dhcp_packet pkt;
	struct reader body;

	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), 0);
	CHECK_EQ_INT(pkt.header.op, 1);
	CHECK_EQ_INT(pkt.header.htype, 1);
	CHECK_EQ_INT(pkt.header.hlen, 6);
	CHECK_EQ_INT(pkt.header.xid, 0xdeadbeef);
	CHECK_EQ_INT(pkt.header.secs, 4);
	CHECK_EQ_INT(pkt.header.flags, DHCP_FLAG_BROADCAST);
	CHECK_EQ_INT(pkt.header.giaddr.s_addr, inet_addr("10.1.2.3"));
	CHECK_EQ_INT(pkt.header.chaddr[5], 0x56);
	CHECK_EQ_INT(pkt.overload, 0);
	CHECK_EQ_INT(dhcp_packet_get_option(&pkt, 53, &body), 0);
	CHECK_EQ_INT(body.left, 1);
	CHECK_EQ_INT(body.p[0], 1);
	CHECK_EQ_INT(dhcp_packet_get_option(&pkt, 60, &body), -ENOENT);
}

static void
test_truncated(void)
{
	static const uint8_t opts[] = {53, 1, 1, 255};
	uint8_t buf[512];
	size_t len = make_packet(buf, sizeof(buf), opts, sizeof(opts));
	struct dhcp_packet pkt = {0}, before;

	before = pkt;
	for (size_t l = 0; l < len - 1; l++)
		CHECK_EQ_INT(dhcp_packet_parse(buf, l, &pkt), -ENOBUFS);
	CHECK_EQ_MEM(&pkt, &before, sizeof(pkt)); /* untouched on failure */
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), 0);
	CHECK_EQ_INT(dhcp_packet_parse(NULL, 0, &pkt), -ENOBUFS);
}

static void
test_bad_header(void)
{
	static const uint8_t opts[] = {53, 1, 1, 255};
	uint8_t buf[512];
	size_t len = make_packet(buf, sizeof(buf), opts, sizeof(opts));
	struct dhcp_packet pkt;

	buf[236] = 0x64; /* magic cookie */
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), -EBADMSG);
	buf[236] = 0x63;
	buf[2] = 17; /* hlen > 16 */
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), -EBADMSG);
	buf[2] = 16;
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), 0);
	buf[0] = 3; /* op */
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), -EBADMSG);
	buf[0] = 0;
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), -EBADMSG);
}

static void
test_bad_options(void)
{
	static const uint8_t past_end[] = {53, 1, 1, 60, 9, 'P', 'X', 'E'};
	static const uint8_t past_end2[] = {53, 200, 1, 255};
	static const uint8_t no_end[] = {53, 1, 1, 0, 0};
	static const uint8_t no_len[] = {53, 1, 1, 60};
	static const uint8_t empty[] = {0};
	uint8_t buf[512];
	struct dhcp_packet pkt;
	size_t len;

	len = make_packet(buf, sizeof(buf), past_end, sizeof(past_end));
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), -ENOBUFS);
	len = make_packet(buf, sizeof(buf), past_end2, sizeof(past_end2));
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), -ENOBUFS);
	len = make_packet(buf, sizeof(buf), no_end, sizeof(no_end));
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), -ENOBUFS);
	len = make_packet(buf, sizeof(buf), no_len, sizeof(no_len));
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), -ENOBUFS);
	len = make_packet(buf, sizeof(buf), empty, 0); /* cookie, then nothing */
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), -ENOBUFS);
}

static void
test_pad_and_trailer(void)
{
	/* PADs anywhere, a zero-length option, garbage after END. */
	static const uint8_t opts[] = {0, 0, 53, 1, 3, 0, 12, 0, 60, 3, 'a', 'b', 'c', 255, 7, 7};
	uint8_t buf[512];
	size_t len = make_packet(buf, sizeof(buf), opts, sizeof(opts));
	struct dhcp_option_iter it;
	struct dhcp_packet pkt;
	struct reader body;
	uint8_t code;

	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), 0);
	dhcp_option_iter_init(&it, &pkt);
	CHECK_EQ_INT(dhcp_option_next(&it, &code, &body), 1);
	CHECK_EQ_INT(code, 53);
	CHECK_EQ_INT(dhcp_option_next(&it, &code, &body), 1);
	CHECK_EQ_INT(code, 12);
	CHECK_EQ_INT(body.left, 0);
	CHECK_EQ_INT(dhcp_option_next(&it, &code, &body), 1);
	CHECK_EQ_INT(code, 60);
	CHECK_EQ_INT(body.left, 3);
	CHECK_EQ_MEM(body.p, "abc", 3);
	CHECK_EQ_INT(dhcp_option_next(&it, &code, &body), 0);
	CHECK_EQ_INT(dhcp_option_next(&it, &code, &body), 0);
}

static void
test_overload(void)
{
	static const uint8_t opts[] = {53, 1, 1, 52, 1, 3, 255};
	static const uint8_t file_opts[] = {60, 4, 'P', 'X', 'E', 'C', 255};
	static const uint8_t sname_opts[] = {77, 4, 'i', 'P', 'X', 'E', 255};
	uint8_t buf[512];
	size_t len = make_packet(buf, sizeof(buf), opts, sizeof(opts));
	struct dhcp_option_iter it;
	struct dhcp_packet pkt;
	struct reader body;
	uint8_t code, seen[8];
	size_t n = 0;

	memcpy(buf + DHCP_FILE_OFFSET, file_opts, sizeof(file_opts));
	memcpy(buf + DHCP_SNAME_OFFSET, sname_opts, sizeof(sname_opts));
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), 0);
	CHECK_EQ_INT(pkt.overload, 3);
	dhcp_option_iter_init(&it, &pkt);
	while (n < sizeof(seen) && dhcp_option_next(&it, &code, &body) == 1)
		seen[n++] = code;
	CHECK_EQ_INT(n, 4); /* options, then file, then sname (RFC 2131 4.1) */
	CHECK(n == 4 && seen[0] == 53 && seen[1] == 52 && seen[2] == 60 && seen[3] == 77);
	CHECK_EQ_INT(dhcp_packet_get_option(&pkt, 77, &body), 0);
	CHECK_EQ_INT(body.left, 4);

	/* file only: sname is not walked. */
	buf[240 + 5] = 1;
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), 0);
	CHECK_EQ_INT(dhcp_packet_get_option(&pkt, 77, &body), -ENOENT);
	CHECK_EQ_INT(dhcp_packet_get_option(&pkt, 60, &body), 0);

	/* An overloaded area without END is truncated. */
	memset(buf + DHCP_FILE_OFFSET, 0, DHCP_FILE_LEN);
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), -ENOBUFS);
	memcpy(buf + DHCP_FILE_OFFSET, file_opts, sizeof(file_opts));
	buf[DHCP_FILE_OFFSET + 1] = 200; /* option runs past the file field */
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), -ENOBUFS);
	memcpy(buf + DHCP_FILE_OFFSET, file_opts, sizeof(file_opts));

	buf[240 + 5] = 4; /* bad overload value */
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), -EBADMSG);
	buf[240 + 5] = 0;
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), -EBADMSG);
	buf[240 + 4] = 0; /* option 52 with length 0 */
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), -EBADMSG);
}

static void
test_overload_twice(void)
{
	static const uint8_t opts[] = {52, 1, 1, 52, 1, 1, 255};
	uint8_t buf[512];
	size_t len = make_packet(buf, sizeof(buf), opts, sizeof(opts));
	struct dhcp_packet pkt;

	buf[DHCP_FILE_OFFSET] = 255;
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), -EBADMSG);
}

static void
test_writer_roundtrip(void)
{
	struct dhcp_header h = {.op = 2, .htype = 1, .hlen = 6, .xid = 0x01020304, .flags = 0x8000};
	uint8_t buf[DHCP_MAX_REPLY_LEN], type = DHCP_OFFER;
	struct dhcp_writer dw;
	struct dhcp_packet pkt;
	struct reader body;
	size_t len = 0;

	h.siaddr.s_addr = inet_addr("10.0.0.1");
	memcpy(h.file, "undionly.kpxe", 13);
	CHECK_EQ_INT(dhcp_writer_init(&dw, buf, sizeof(buf), &h), 0);
	CHECK_EQ_INT(dhcp_writer_put(&dw, 53, &type, 1), 0);
	CHECK_EQ_INT(dhcp_writer_put(&dw, 60, "PXEClient", 9), 0);
	CHECK_EQ_INT(dhcp_writer_put(&dw, 12, NULL, 0), 0);
	CHECK_EQ_INT(dhcp_writer_finish(&dw, &len), 0);
	CHECK_EQ_INT(len, DHCP_MIN_REPLY_LEN);
	CHECK_EQ_INT(buf[240 + 3 + 11 + 2], 255);
	CHECK_EQ_INT(buf[4], 0x01);
	CHECK_EQ_INT(buf[7], 0x04);
	CHECK_EQ_INT(buf[10], 0x80);
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), 0);
	CHECK_EQ_INT(pkt.header.op, 2);
	CHECK_EQ_INT(pkt.header.xid, 0x01020304);
	CHECK_EQ_INT(pkt.header.siaddr.s_addr, inet_addr("10.0.0.1"));
	CHECK_EQ_STR((const char *)pkt.header.file, "undionly.kpxe");
	CHECK_EQ_INT(dhcp_packet_get_option(&pkt, 60, &body), 0);
	CHECK_EQ_INT(body.left, 9);
	CHECK_EQ_INT(dhcp_writer_finish(&dw, &len), -EINVAL);
	CHECK_EQ_INT(dhcp_writer_put(&dw, 60, "x", 1), -ENOBUFS);
}

static void
test_writer_limits(void)
{
	struct dhcp_header h = {.op = 2};
	uint8_t buf[DHCP_MIN_LEN + 10], big[300] = {0};
	struct dhcp_writer dw;
	struct dhcp_packet pkt;
	size_t len = 0;

	CHECK_EQ_INT(dhcp_writer_init(&dw, buf, DHCP_MIN_LEN, &h), -ENOBUFS);
	CHECK_EQ_INT(dhcp_writer_init(&dw, buf, sizeof(buf), &h), 0);
	CHECK_EQ_INT(dhcp_writer_put(&dw, 0, big, 1), -EINVAL);
	CHECK_EQ_INT(dhcp_writer_put(&dw, 255, big, 1), -EINVAL);
	CHECK_EQ_INT(dhcp_writer_put(&dw, 60, big, 256), -EINVAL);
	CHECK_EQ_INT(dhcp_writer_put(&dw, 60, big, (size_t)4 << 30), -EINVAL);
	CHECK_EQ_INT(dhcp_writer_put(&dw, 60, big, SIZE_MAX), -EINVAL);
	/* 9 bytes left before the reserved END: 2 + 8 does not fit, 2 + 7 does. */
	CHECK_EQ_INT(dhcp_writer_put(&dw, 60, big, 8), -ENOBUFS);
	CHECK_EQ_INT(dhcp_writer_put(&dw, 60, big, 7), 0);
	CHECK_EQ_INT(dhcp_writer_put(&dw, 61, big, 0), -ENOBUFS);
	CHECK_EQ_INT(dhcp_writer_finish(&dw, &len), 0);
	CHECK_EQ_INT(len, sizeof(buf)); /* no room to pad to 300: not padded */
	CHECK_EQ_INT(buf[sizeof(buf) - 1], 255);
	CHECK_EQ_INT(dhcp_packet_parse(buf, len, &pkt), 0);
}

static void
test_reader_huge(void)
{
	uint8_t b[4] = {1, 2, 3, 4};
	struct reader r = reader_init(b, sizeof(b)), sub;

	CHECK_EQ_INT(read_sub(&r, (size_t)4 << 30, &sub), -ENOBUFS);
	CHECK_EQ_INT(read_skip(&r, SIZE_MAX), -ENOBUFS);
	CHECK_EQ_INT(r.left, 4);
}

TEST_MAIN(TEST(test_parse_header), TEST(test_truncated), TEST(test_bad_header),
    TEST(test_bad_options), TEST(test_pad_and_trailer), TEST(test_overload),
    TEST(test_overload_twice), TEST(test_writer_roundtrip), TEST(test_writer_limits),
    TEST(test_reader_huge))
