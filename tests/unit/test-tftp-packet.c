#include "tftp-packet.h"

#include "test.h"

/* Build a request: opcode then NUL-separated strings given as one blob. */
#define PKT(op, s) ((const uint8_t *)("\0" op s)), (sizeof("\0" op s) - 1)

static void
test_rrq_plain(void)
{
	struct tftp_request req;

	CHECK_EQ_INT(tftp_request_parse(PKT("\1", "undionly.kpxe\0octet\0"), &req), 0);
	CHECK_EQ_INT(req.opcode, TFTP_RRQ);
	CHECK_EQ_STR(req.filename, "undionly.kpxe");
	CHECK_EQ_INT(req.mode, TFTP_MODE_OCTET);
	CHECK_EQ_INT(req.options, 0);

	CHECK_EQ_INT(tftp_request_parse(PKT("\2", "x\0NetASCII\0"), &req), 0);
	CHECK_EQ_INT(req.opcode, TFTP_WRQ);
	CHECK_EQ_INT(req.mode, TFTP_MODE_NETASCII);
	CHECK_EQ_INT(tftp_request_parse(PKT("\1", "x\0MAIL\0"), &req), 0);
	CHECK_EQ_INT(req.mode, TFTP_MODE_MAIL);
}

static void
test_rrq_malformed(void)
{
	struct tftp_request req = {.filename = "untouched"};
	char longname[300 + 16] = {0, 1};

	CHECK_EQ_INT(tftp_request_parse("", 0, &req), -ENOBUFS);
	CHECK_EQ_INT(tftp_request_parse("\0", 1, &req), -ENOBUFS);
	CHECK_EQ_INT(tftp_request_parse(PKT("\3", "x\0octet\0"), &req), -EBADMSG);
	CHECK_EQ_INT(tftp_request_parse(PKT("\1", "x\0octet"), &req), -EBADMSG);
	CHECK_EQ_INT(tftp_request_parse(PKT("\1", "x"), &req), -EBADMSG);
	CHECK_EQ_INT(tftp_request_parse(PKT("\1", "\0octet\0"), &req), -EBADMSG);
	CHECK_EQ_INT(tftp_request_parse(PKT("\1", "x\0binary\0"), &req), -EBADMSG);
	CHECK_EQ_INT(tftp_request_parse(PKT("\1", "x\0octe\0"), &req), -EBADMSG);
	memset(longname + 2, 'a', 256);
	memcpy(longname + 258, "\0octet\0", 7);
	CHECK_EQ_INT(tftp_request_parse(longname, 265, &req), -EBADMSG);
	CHECK_EQ_STR(req.filename, "untouched");
	memcpy(longname + 257, "\0octet\0", 7);
	CHECK_EQ_INT(tftp_request_parse(longname, 264, &req), 0);
	CHECK_EQ_INT(strlen(req.filename), 255);
}

static void
test_options(void)
{
	struct tftp_request req;

	CHECK_EQ_INT(tftp_request_parse(PKT("\1", "f\0octet\0BLKSIZE\0001468\0tsize\0000\0"
	                                          "TimeOut\0003\0windowsize\00016\0"),
	                 &req),
	    0);
	CHECK_EQ_INT(req.options, 0xf);
	CHECK_EQ_INT(req.value[TFTP_OPT_BLKSIZE], 1468);
	CHECK_EQ_INT(req.value[TFTP_OPT_TSIZE], 0);
	CHECK_EQ_INT(req.value[TFTP_OPT_TIMEOUT], 3);
	CHECK_EQ_INT(req.value[TFTP_OPT_WINDOWSIZE], 16);
}

static void
test_options_ignored(void)
{
	struct tftp_request req;

	/* Out of range, unparsable, unknown: ignored, request still fine. */
	CHECK_EQ_INT(tftp_request_parse(PKT("\1", "f\0octet\0blksize\0007\0timeout\0000\0"
	                                          "windowsize\00065536\0foo\0bar\0"),
	                 &req),
	    0);
	CHECK_EQ_INT(req.options, 0);
	CHECK_EQ_INT(tftp_request_parse(PKT("\1", "f\0octet\0blksize\00065465\0timeout\000256\0"
	                                          "blksize\0+512\0timeout\0 1\0blksize\0\0"),
	                 &req),
	    0);
	CHECK_EQ_INT(req.options, 0);
	CHECK_EQ_INT(
	    tftp_request_parse(
	        PKT("\1", "f\0octet\0blksize\0099999999999999999999999\0tsize\0-1\0"), &req),
	    0);
	CHECK_EQ_INT(req.options, 0);
	/* tsize in an RRQ must be 0; in a WRQ it is the size. */
	CHECK_EQ_INT(tftp_request_parse(PKT("\1", "f\0octet\0tsize\00012\0"), &req), 0);
	CHECK_EQ_INT(req.options, 0);
	CHECK_EQ_INT(tftp_request_parse(PKT("\2", "f\0octet\0tsize\00012\0"), &req), 0);
	CHECK_EQ_INT(req.options, 1u << TFTP_OPT_TSIZE);
	CHECK_EQ_INT(req.value[TFTP_OPT_TSIZE], 12);
	/* Duplicates: the first wins. */
	CHECK_EQ_INT(
	    tftp_request_parse(PKT("\1", "f\0octet\0blksize\0001024\0BlkSize\000512\0"), &req), 0);
	CHECK_EQ_INT(req.value[TFTP_OPT_BLKSIZE], 1024);
	/* Bounds are inclusive. */
	CHECK_EQ_INT(tftp_request_parse(PKT("\1", "f\0octet\0blksize\0008\0windowsize\00065535\0"
	                                          "timeout\000255\0"),
	                 &req),
	    0);
	CHECK_EQ_INT(req.options,
	    (1u << TFTP_OPT_BLKSIZE) | (1u << TFTP_OPT_WINDOWSIZE) | (1u << TFTP_OPT_TIMEOUT));
	/* An incomplete last option is dropped, earlier ones kept. */
	CHECK_EQ_INT(
	    tftp_request_parse(PKT("\1", "f\0octet\0blksize\0001024\0tsize\0000"), &req), 0);
	CHECK_EQ_INT(req.options, 1u << TFTP_OPT_BLKSIZE);
	/* Trailing NUL padding after the mode. */
	CHECK_EQ_INT(tftp_request_parse(PKT("\1", "f\0octet\0\0\0\0"), &req), 0);
	CHECK_EQ_INT(req.options, 0);
}

static void
test_negotiate(void)
{
	struct tftp_request req;
	struct tftp_limits lim = {0, 0};
	struct tftp_params p;

	tftp_request_parse(PKT("\1", "f\0octet\0blksize\00065464\0windowsize\000100\0"), &req);
	tftp_negotiate(&req, &lim, &p);
	CHECK_EQ_INT(p.blksize, 1468);
	CHECK_EQ_INT(p.windowsize, 64);
	CHECK_EQ_INT(p.options, req.options);
	lim = (struct tftp_limits){8192, 4};
	tftp_negotiate(&req, &lim, &p);
	CHECK_EQ_INT(p.blksize, 8192);
	CHECK_EQ_INT(p.windowsize, 4);
	lim = (struct tftp_limits){100000, 0};
	tftp_negotiate(&req, &lim, &p);
	CHECK_EQ_INT(p.blksize, 65464);

	tftp_request_parse(PKT("\1", "f\0octet\0"), &req);
	tftp_negotiate(&req, &lim, &p);
	CHECK_EQ_INT(p.blksize, 512);
	CHECK_EQ_INT(p.windowsize, 1);
	CHECK_EQ_INT(p.timeout, 0);
	CHECK_EQ_INT(p.options, 0);
}

static void
test_oack(void)
{
	struct tftp_request req;
	struct tftp_limits lim = {1468, 64};
	struct tftp_params p;
	uint8_t buf[128];
	struct writer w = writer_init(buf, sizeof(buf));
	static const char want[] = "\0\6blksize\0001468\0timeout\0002\0tsize\0001234567\0";

	tftp_request_parse(
	    PKT("\1", "f\0octet\0tsize\0000\0blksize\0009000\0timeout\0002\0"), &req);
	tftp_negotiate(&req, &lim, &p);
	CHECK_EQ_INT(tftp_oack_write(&w, &p, 1234567), 0);
	CHECK_EQ_INT(w.len, sizeof(want) - 1);
	CHECK_EQ_MEM(buf, want, sizeof(want) - 1);

	w = writer_init(buf, 10);
	CHECK_EQ_INT(tftp_oack_write(&w, &p, 1234567), -ENOBUFS);
}

static void
test_ack_error_data(void)
{
	uint8_t buf[64];
	struct writer w = writer_init(buf, sizeof(buf));
	char msg[TFTP_ERRMSG_MAX + 1];
	uint16_t v = 7, code = 9;

	CHECK_EQ_INT(tftp_ack_write(&w, 65535), 0);
	CHECK_EQ_INT(tftp_ack_parse(buf, w.len, &v), 0);
	CHECK_EQ_INT(v, 65535);
	CHECK_EQ_INT(tftp_ack_parse(buf, 3, &v), -ENOBUFS);
	CHECK_EQ_INT(tftp_ack_parse("\0\3\0\1", 4, &v), -EBADMSG);

	w = writer_init(buf, sizeof(buf));
	CHECK_EQ_INT(tftp_error_write(&w, TFTP_EACCESS, "Read-only server"), 0);
	CHECK_EQ_INT(w.len, 4 + 16 + 1);
	CHECK_EQ_MEM(buf, "\0\5\0\2Read-only server\0", 21);
	CHECK_EQ_INT(tftp_error_parse(buf, w.len, &code, msg), 0);
	CHECK_EQ_INT(code, 2);
	CHECK_EQ_STR(msg, "Read-only server");
	/* Unterminated message tolerated. */
	CHECK_EQ_INT(tftp_error_parse("\0\5\0\1abc", 7, &code, msg), 0);
	CHECK_EQ_STR(msg, "abc");
	CHECK_EQ_INT(tftp_error_parse("\0\5\0", 3, &code, msg), -ENOBUFS);

	w = writer_init(buf, 3);
	CHECK_EQ_INT(tftp_data_header_write(&w, 1), -ENOBUFS);
	w = writer_init(buf, 4);
	CHECK_EQ_INT(tftp_data_header_write(&w, 0x1234), 0);
	CHECK_EQ_MEM(buf, "\0\3\x12\x34", 4);
	CHECK_EQ_INT(tftp_packet_opcode(buf, 4, &v), 0);
	CHECK_EQ_INT(v, TFTP_DATA);
	CHECK_EQ_INT(tftp_packet_opcode(buf, 1, &v), -ENOBUFS);
}

static void
test_filename_path(void)
{
	const char *p = NULL;

	CHECK_EQ_INT(tftp_filename_path("/pxelinux.0", &p), 0);
	CHECK_EQ_STR(p, "pxelinux.0");
	CHECK_EQ_INT(tftp_filename_path("a/b/c", &p), 0);
	CHECK_EQ_STR(p, "a/b/c");
	CHECK_EQ_INT(tftp_filename_path("a/..b/c..", &p), 0);
	CHECK_EQ_STR(p, "a/..b/c..");
	p = NULL;
	CHECK_EQ_INT(tftp_filename_path("../etc/passwd", &p), -EACCES);
	CHECK_EQ_INT(tftp_filename_path("a/../../b", &p), -EACCES);
	CHECK_EQ_INT(tftp_filename_path("a/..", &p), -EACCES);
	CHECK_EQ_INT(tftp_filename_path("..", &p), -EACCES);
	CHECK_EQ_INT(tftp_filename_path("//etc/passwd", &p), -EACCES);
	CHECK_EQ_INT(tftp_filename_path("/", &p), -EACCES);
	CHECK_EQ_INT(tftp_filename_path("a\nb", &p), -EACCES);
	CHECK(p == NULL);
}

static void
test_bounds_table(void)
{
	CHECK_EQ_STR(tftp_option_bounds[TFTP_OPT_BLKSIZE].name, "blksize");
	CHECK_EQ_INT(tftp_option_bounds[TFTP_OPT_BLKSIZE].min, 8);
	CHECK_EQ_INT(tftp_option_bounds[TFTP_OPT_BLKSIZE].max, 65464);
	CHECK_EQ_INT(tftp_option_bounds[TFTP_OPT_TIMEOUT].max, 255);
	CHECK_EQ_INT(tftp_option_bounds[TFTP_OPT_WINDOWSIZE].max, 65535);
}

TEST_MAIN(TEST(test_rrq_plain), TEST(test_rrq_malformed), TEST(test_options),
    TEST(test_options_ignored), TEST(test_negotiate), TEST(test_oack), TEST(test_ack_error_data),
    TEST(test_filename_path), TEST(test_bounds_table))
