#include "http-range.h"
#include "test.h"

static int
parse(const char *v, uint64_t size, struct http_range *r)
{
	return http_range_parse(v, strlen(v), size, r);
}

#define CHECK_RANGE(v, size, start_, length_)                                                      \
	do {                                                                                       \
		struct http_range _r = {99, 99};                                                   \
		CHECK_EQ_INT(parse(v, size, &_r), 0);                                              \
		CHECK_EQ_INT(_r.start, start_);                                                    \
		CHECK_EQ_INT(_r.length, length_);                                                  \
	} while (0)

static void
test_single(void)
{
	CHECK_RANGE("bytes=0-0", 100, 0, 1);
	CHECK_RANGE("bytes=0-99", 100, 0, 100);
	CHECK_RANGE("bytes=10-19", 100, 10, 10);
	CHECK_RANGE("bytes=10-", 100, 10, 90);
	CHECK_RANGE("bytes=99-", 100, 99, 1);
	CHECK_RANGE("bytes=-1", 100, 99, 1);
	CHECK_RANGE("bytes=-30", 100, 70, 30);
	CHECK_RANGE("bytes=50-1000", 100, 50, 50);                   /* last-pos clamped */
	CHECK_RANGE("bytes=-1000", 100, 0, 100);                     /* suffix longer than file */
	CHECK_RANGE("bytes=0-99999999999999999999999", 100, 0, 100); /* saturating */
	CHECK_RANGE("BYTES=1-2", 100, 1, 2);                         /* unit is case-insensitive */
	CHECK_RANGE("  bytes=1-2  ", 100, 1, 2);                     /* OWS around the value */
	CHECK_RANGE("bytes=1-2,", 100, 1, 2);                        /* empty list elements */
	CHECK_RANGE("bytes=, 1-2", 100, 1, 2);
	CHECK_RANGE("bytes=0-", 1ULL << 40, 0, 1ULL << 40);
	CHECK_RANGE("bytes=1099511627775-", 1ULL << 40, (1ULL << 40) - 1, 1);
}

static void
test_unsatisfiable(void)
{
	struct http_range r = {7, 7};

	CHECK_EQ_INT(parse("bytes=100-", 100, &r), -ERANGE);
	CHECK_EQ_INT(parse("bytes=100-200", 100, &r), -ERANGE);
	CHECK_EQ_INT(parse("bytes=-0", 100, &r), -ERANGE);
	CHECK_EQ_INT(parse("bytes=0-0", 0, &r), -ERANGE);
	CHECK_EQ_INT(parse("bytes=-5", 0, &r), -ERANGE);
	CHECK_EQ_INT(parse("bytes=99999999999999999999999-", 100, &r), -ERANGE);
	CHECK_EQ_INT(r.start, 7);
	CHECK_EQ_INT(r.length, 7);
}

static void
test_multiple(void)
{
	struct http_range r = {7, 7};

	CHECK_EQ_INT(parse("bytes=0-1,5-6", 100, &r), -EOPNOTSUPP);
	CHECK_EQ_INT(parse("bytes=0-1, -5", 100, &r), -EOPNOTSUPP);
	CHECK_EQ_INT(parse("items=0-1", 100, &r), -EOPNOTSUPP);
	CHECK_EQ_INT(parse("byte=0-1", 100, &r), -EOPNOTSUPP);
	CHECK_EQ_INT(parse("bytesx=0-1", 100, &r), -EOPNOTSUPP);
	CHECK_EQ_INT(r.start, 7);
}

static void
test_malformed(void)
{
	static const char *const bad[] = {"", "bytes", "bytes=", "bytes=-", "bytes=a-b",
	    "bytes=5-4", "bytes=1-2-3", "bytes=1", "bytes = 1-2", "bytes=1 -2", "bytes=--1",
	    "bytes=+1-2", "bytes=1-2;", "bytes=,", "bytes=0-1,x", "=0-1", "bytes=0x1-2",
	    "bytes=1-2 3"};
	struct http_range r = {7, 7};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int k = parse(bad[i], 100, &r);

		if (k != -EBADMSG)
			fprintf(stderr, "input \"%s\" -> %d\n", bad[i], k);
		CHECK_EQ_INT(k, -EBADMSG);
	}
	CHECK_EQ_INT(r.start, 7);
}

static void
test_length_bound(void)
{
	char v[HTTP_RANGE_MAX_LEN + 16];
	struct http_range r;

	memset(v, ' ', sizeof(v));
	memcpy(v, "bytes=0-1", 9);
	CHECK_EQ_INT(http_range_parse(v, HTTP_RANGE_MAX_LEN, 100, &r), 0);
	CHECK_EQ_INT(http_range_parse(v, HTTP_RANGE_MAX_LEN + 1, 100, &r), -EBADMSG);
	/* Not NUL-terminated: the parser must stop at len. */
	CHECK_EQ_INT(http_range_parse("bytes=0-19", 9, 100, &r), 0);
	CHECK_EQ_INT(r.length, 2);
}

TEST_MAIN(TEST(test_single), TEST(test_unsatisfiable), TEST(test_multiple), TEST(test_malformed),
    TEST(test_length_bound))
