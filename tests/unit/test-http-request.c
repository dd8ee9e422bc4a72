#include "http-request.h"
#include "test.h"

static int
parse(const char *s, struct http_request_head *h)
{
	return http_request_head_parse(s, strlen(s), h);
}

static bool
slice_eq(struct http_slice s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

static void
test_simple(void)
{
	static const char req[] = "GET /ipxe/52-54-00-12-34-56 HTTP/1.1\r\nHost: x\r\n"
	                          "User-Agent: iPXE/1.21.1\r\nRange:  bytes=0-0 \r\n\r\n";
	struct http_request_head h;

	CHECK_EQ_INT(parse(req, &h), (int)strlen(req));
	CHECK_EQ_INT(h.method, HTTP_METHOD_GET);
	CHECK_EQ_INT(h.minor, 1);
	CHECK(slice_eq(h.target, "/ipxe/52-54-00-12-34-56"));
	CHECK(h.has_range && slice_eq(h.range, "bytes=0-0"));
	CHECK(h.has_user_agent && slice_eq(h.user_agent, "iPXE/1.21.1"));
	CHECK(!h.has_body && !h.expect && !h.if_range);
	CHECK_EQ_INT(h.n_fields, 3);
	CHECK(http_request_keep_alive(&h));

	CHECK_EQ_INT(parse("HEAD / HTTP/1.0\r\n\r\n", &h), 19);
	CHECK_EQ_INT(h.method, HTTP_METHOD_HEAD);
	CHECK_EQ_INT(h.minor, 0);
	CHECK(!h.has_range && h.n_fields == 0);
	CHECK(!http_request_keep_alive(&h));
}

static void
test_fields(void)
{
	struct http_request_head h;

	CHECK(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h) > 0);
	CHECK(http_request_keep_alive(&h));
	CHECK(parse("GET / HTTP/1.1\r\nconnection: TE, close\r\n\r\n", &h) > 0);
	CHECK(h.conn_close && !http_request_keep_alive(&h));
	CHECK(parse("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &h) > 0);
	CHECK(!h.has_body);
	CHECK(parse("GET / HTTP/1.1\r\nContent-Length: 12\r\n\r\n", &h) > 0);
	CHECK(h.has_body);
	CHECK(parse("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &h) > 0);
	CHECK(h.has_body);
	CHECK(parse("GET / HTTP/1.1\r\nExpect: 100-continue\r\nIf-Range: \"x\"\r\n\r\n", &h) > 0);
	CHECK(h.expect && h.if_range);
	CHECK(parse("POST /report/x HTTP/1.1\r\nX-Empty:\r\n\r\n", &h) > 0);
	CHECK_EQ_INT(h.method, HTTP_METHOD_OTHER);
	CHECK(parse("get / HTTP/1.1\r\n\r\n", &h) > 0); /* a method is case-sensitive */
	CHECK_EQ_INT(h.method, HTTP_METHOD_OTHER);
	CHECK(parse("GET / HTTP/1.1\r\nUser-Agent: GRUB 2.06 \xc3\xa9\r\n\r\n", &h) > 0);
	CHECK(slice_eq(h.user_agent, "GRUB 2.06 \xc3\xa9"));
}

static void
test_incomplete(void)
{
	static const char req[] = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http_request_head h = {.n_fields = 77};

	for (size_t n = 0; n < strlen(req); n++)
		CHECK_EQ_INT(http_request_head_parse(req, n, &h), 0);
	CHECK_EQ_INT(h.n_fields, 77); /* untouched */
	/* a pipelined second request is not part of the head */
	CHECK_EQ_INT(parse("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", &h), 19);
	CHECK(slice_eq(h.target, "/a"));
}

static void
test_refused(void)
{
	static const char *const bad[] = {"GET / HTTP/1.1\n\n", /* bare LF */
	    "GET / HTTP/1.1\r\nHost: a\n\r\n",                  /* bare LF in a field */
	    "GET / HTTP/1.1\rX\r\n\r\n",                        /* bare CR */
	    "GET / HTTP/2.0\r\n\r\n",                           /* version */
	    "GET / HTTP/1.2\r\n\r\n", "GET / HTTP/1.1 \r\n\r\n", "GET /  HTTP/1.1\r\n\r\n",
	    "GET http://a/ HTTP/1.1\r\n\r\n", /* absolute-form */
	    "OPTIONS * HTTP/1.1\r\n\r\n", " GET / HTTP/1.1\r\n\r\n", "GET\r\n\r\n",
	    "GET / HTTP/1.1\r\n Folded: x\r\n\r\n", /* obs-fold */
	    "GET / HTTP/1.1\r\nName : x\r\n\r\n",   /* whitespace before the colon */
	    "GET / HTTP/1.1\r\nNo colon\r\n\r\n",   /* not a field */
	    "GET / HTTP/1.1\r\nRange: bytes=0-0\r\nRange: bytes=1-1\r\n\r\n", /* twice */
	    "GET / HTTP/1.1\r\nA: \x01\r\n\r\n",                              /* a control byte */
	    "GET /\x7f HTTP/1.1\r\n\r\n"};
	struct http_request_head h;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int k = parse(bad[i], &h);

		if (k != -EBADMSG)
			fprintf(stderr, "input %zu -> %d\n", i, k);
		CHECK_EQ_INT(k, -EBADMSG);
	}
}

static void
test_limits(void)
{
	static char big[HTTP_REQUEST_MAX_HEAD + 64];
	struct http_request_head h;
	size_t n = 0;

	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	CHECK_EQ_INT(http_request_head_parse(big, HTTP_REQUEST_MAX_HEAD - 1, &h), 0);
	CHECK_EQ_INT(http_request_head_parse(big, HTTP_REQUEST_MAX_HEAD, &h), -E2BIG);
	CHECK_EQ_INT(http_request_head_parse(big, sizeof(big), &h), -E2BIG);
	/* a head ending after the limit is too big, even if the buffer holds its end */
	memcpy(big + HTTP_REQUEST_MAX_HEAD + 10, "\r\n\r\n", 4);
	CHECK_EQ_INT(http_request_head_parse(big, sizeof(big), &h), -E2BIG);

	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n");
	for (int i = 0; i <= HTTP_REQUEST_MAX_FIELDS; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "F%d: v\r\n", i);
	CHECK_EQ_INT(http_request_head_parse(big, n, &h), -E2BIG); /* before its end */
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
	CHECK_EQ_INT(http_request_head_parse(big, n, &h), -E2BIG);
}

TEST_MAIN(TEST(test_simple), TEST(test_fields), TEST(test_incomplete), TEST(test_refused),
    TEST(test_limits))
