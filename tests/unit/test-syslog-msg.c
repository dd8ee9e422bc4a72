#include "syslog-msg.h"
#include "test.h"

static char text[256];

static int
parse(const char *s, struct syslog_msg *m)
{
	return syslog_msg_parse((const uint8_t *)s, strlen(s), text, sizeof(text), m);
}

static void
test_rfc3164(void)
{
	struct syslog_msg m;

	CHECK_EQ_INT(parse("<13>Dec  2 03:31:31 node1 root[42]: hello world\n", &m), 0);
	CHECK_EQ_INT(m.format, SYSLOG_MSG_RFC3164);
	CHECK_EQ_INT(m.facility, 1);
	CHECK_EQ_INT(m.severity, 5);
	CHECK_EQ_STR(m.timestamp, "Dec  2 03:31:31");
	CHECK_EQ_STR(m.hostname, "node1");
	CHECK_EQ_STR(m.app, "root");
	CHECK_EQ_STR(m.procid, "42");
	CHECK_EQ_STR(m.msg, "hello world");
	CHECK_EQ_INT(m.msg_len, 11);
	CHECK(!m.truncated && !m.escaped);

	CHECK_EQ_INT(parse("<6>kernel: [    1.0] Linux version", &m), 0);
	CHECK_EQ_INT(m.facility, 0);
	CHECK_EQ_INT(m.severity, 6);
	CHECK_EQ_STR(m.timestamp, "");
	CHECK_EQ_STR(m.app, "kernel");
	CHECK_EQ_STR(m.msg, "[    1.0] Linux version");

	/* no tag: all of it is the message */
	CHECK_EQ_INT(parse("<191>just text: with colon later", &m), 0);
	CHECK_EQ_INT(m.facility, 23);
	CHECK_EQ_INT(m.severity, 7);
	CHECK_EQ_STR(m.app, "");
	CHECK_EQ_STR(m.msg, "just text: with colon later");
}

static void
test_rfc5424(void)
{
	struct syslog_msg m;

	CHECK_EQ_INT(parse("<165>1 2026-12-02T03:04:05.123Z host.example app 77 ID47 "
	                   "[ex@1 a=\"x\\\"]\"][b c=\"d\"] \xef\xbb\xbfmsg body",
	                 &m),
	    0);
	CHECK_EQ_INT(m.format, SYSLOG_MSG_RFC5424);
	CHECK_EQ_INT(m.facility, 20);
	CHECK_EQ_INT(m.severity, 5);
	CHECK_EQ_STR(m.timestamp, "2026-12-02T03:04:05.123Z");
	CHECK_EQ_INT(m.time_ms, 1796180645123LL);
	CHECK_EQ_STR(m.hostname, "host.example");
	CHECK_EQ_STR(m.app, "app");
	CHECK_EQ_STR(m.procid, "77");
	CHECK_EQ_STR(m.msgid, "ID47");
	CHECK_EQ_STR(m.msg, "msg body");

	CHECK_EQ_INT(parse("<14>1 - - - - - -", &m), 0);
	CHECK_EQ_STR(m.hostname, "");
	CHECK_EQ_INT(m.time_ms, 0);
	CHECK_EQ_STR(m.msg, "");

	/* a header cut short: what is left is the message */
	CHECK_EQ_INT(parse("<14>1 2026-12-02T03:04:05+01:00 h", &m), 0);
	CHECK_EQ_INT(m.time_ms, 1796180645000LL - 3600000);
	CHECK_EQ_STR(m.msg, "h");
}

static void
test_time(void)
{
	int64_t t = 5;

	CHECK_EQ_INT(syslog_time_parse("1970-01-01T00:00:00Z", 20, &t), 0);
	CHECK_EQ_INT(t, 0);
	CHECK_EQ_INT(syslog_time_parse("2000-02-29T23:59:59.5-00:30", 27, &t), 0);
	CHECK_EQ_INT(t, 951868799500LL + 1800000);
	CHECK_EQ_INT(syslog_time_parse("2026-13-01T00:00:00Z", 20, &t), -EINVAL);
	CHECK_EQ_INT(syslog_time_parse("2026-01-01T00:00:00", 19, &t), -EINVAL);
	CHECK_EQ_INT(syslog_time_parse("2026-01-01T00:00:00.Z", 21, &t), -EINVAL);
	CHECK_EQ_INT(syslog_time_parse("2026-01-01T00:00:00.1234567Z", 28, &t), -EINVAL);
	CHECK_EQ_INT(syslog_time_parse("1969-12-31T23:59:59Z", 20, &t), -EINVAL);
	CHECK_EQ_INT(syslog_time_parse("2026-01-01T00:00:00+2:00", 24, &t), -EINVAL);
	CHECK_EQ_INT(syslog_time_parse("2026-01-01X00:00:00Z", 20, &t), -EINVAL);
	CHECK_EQ_INT(t, 951868799500LL + 1800000);
}

static void
test_bad_input(void)
{
	static const uint8_t garbage[] = {0xff, 0xfe, 0x00, 0x01, 'a', 0xc0, 0xaf, 0xed, 0xa0, 0x80,
	    0xf4, 0x90, 0x80, 0x80, 0xe2, 0x82};
	struct syslog_msg m = {.facility = 99};

	CHECK_EQ_INT(syslog_msg_parse((const uint8_t *)"", 0, text, sizeof(text), &m), -EBADMSG);
	CHECK_EQ_INT(
	    syslog_msg_parse((const uint8_t *)"\n\0\r\n", 4, text, sizeof(text), &m), -EBADMSG);
	CHECK_EQ_INT(m.facility, 99);
	CHECK_EQ_INT(syslog_msg_parse(garbage, sizeof(garbage), text, sizeof(text), &m), 0);
	CHECK_EQ_INT(m.format, SYSLOG_MSG_RAW);
	CHECK_EQ_INT(m.facility, SYSLOG_FACILITY_USER);
	CHECK(m.escaped);
	CHECK_EQ_STR(m.msg, "\\xff\\xfe\\x00\\x01a\\xc0\\xaf\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80"
	                    "\\xe2\\x82");
	/* PRI out of range, unterminated, empty, too long: raw text */
	CHECK_EQ_INT(parse("<192>x", &m), 0);
	CHECK_EQ_INT(m.format, SYSLOG_MSG_RAW);
	CHECK_EQ_STR(m.msg, "<192>x");
	CHECK_EQ_INT(parse("<13", &m), 0);
	CHECK_EQ_STR(m.msg, "<13");
	CHECK_EQ_INT(parse("<>x", &m), 0);
	CHECK_EQ_INT(m.format, SYSLOG_MSG_RAW);
	CHECK_EQ_INT(parse("<0013>x", &m), 0);
	CHECK_EQ_INT(m.format, SYSLOG_MSG_RAW);
	/* valid UTF-8 kept, tab kept, escape and newline inside escaped */
	CHECK_EQ_INT(parse("<13>t: caf\xc3\xa9 \xf0\x9f\x98\x80\ta\x1b[0m\nb", &m), 0);
	CHECK_EQ_STR(m.msg, "caf\xc3\xa9 \xf0\x9f\x98\x80\ta\\x1b[0m\\x0ab");
	/* a bad RFC 5424 header field is sanitized and cut */
	CHECK_EQ_INT(parse("<13>1 - \x01hostname-that-is-much-longer-than-sixty-four-bytes-of-"
	                   "hostname-xxxxxxxxxx app - - - m",
	                 &m),
	    0);
	CHECK_EQ_INT(strlen(m.hostname), SYSLOG_MSG_HOST_MAX);
	CHECK(strncmp(m.hostname, "\\x01host", 8) == 0);
	/* unterminated structured data: the rest is the message */
	CHECK_EQ_INT(parse("<13>1 - h a p m [x y=\"]", &m), 0);
	CHECK_EQ_STR(m.msg, "[x y=\"]");
}

static void
test_truncation(void)
{
	char big[4096], small[6];
	struct syslog_msg m;

	memset(big, 'a', sizeof(big));
	memcpy(big, "<13>", 4);
	CHECK_EQ_INT(
	    syslog_msg_parse((const uint8_t *)big, sizeof(big), text, sizeof(text), &m), 0);
	CHECK(m.truncated);
	CHECK_EQ_INT(m.msg_len, sizeof(text) - 1);
	CHECK_EQ_INT(strlen(m.msg), sizeof(text) - 1);
	/* never cut a character or an escape */
	CHECK_EQ_INT(
	    syslog_msg_parse((const uint8_t *)"<13>abcd\xc3\xa9", 10, small, sizeof(small), &m), 0);
	CHECK_EQ_STR(m.msg, "abcd");
	CHECK(m.truncated);
	CHECK_EQ_INT(
	    syslog_msg_parse((const uint8_t *)"<13>abcd\x01", 9, small, sizeof(small), &m), 0);
	CHECK_EQ_STR(m.msg, "abcd");
	CHECK_EQ_INT(syslog_msg_parse((const uint8_t *)"<13>abc", 7, small, 1, &m), 0);
	CHECK_EQ_STR(m.msg, "");
	CHECK(m.truncated);
}

static void
test_names(void)
{
	CHECK_EQ_STR(syslog_facility_name(0), "kern");
	CHECK_EQ_STR(syslog_facility_name(23), "local7");
	CHECK_EQ_STR(syslog_facility_name(24), "?");
	CHECK_EQ_STR(syslog_severity_name(7), "debug");
	CHECK_EQ_STR(syslog_severity_name(8), "?");
}

TEST_MAIN(TEST(test_rfc3164), TEST(test_rfc5424), TEST(test_time), TEST(test_bad_input),
    TEST(test_truncation), TEST(test_names))
