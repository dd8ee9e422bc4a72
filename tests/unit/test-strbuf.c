#include <inttypes.h>
#include <limits.h>
#include <stdint.h>

#include "strbuf.h"
#include "test.h"

/* sb_printf() of one format and its arguments, against snprintf's bytes. */
#define CHECK_AS_SNPRINTF(...)                                                                     \
	do {                                                                                       \
		struct strbuf _sb = STRBUF_INIT(4096);                                             \
		char _want[4096], *_got = NULL;                                                    \
		snprintf(_want, sizeof(_want), __VA_ARGS__);                                       \
		sb_printf(&_sb, __VA_ARGS__);                                                      \
		CHECK_EQ_INT(sb_finish(&_sb, &_got), 0);                                           \
		CHECK_EQ_STR(_got, _want);                                                         \
		free(_got);                                                                        \
	} while (0)

static void
test_printf_simple(void)
{
	CHECK_AS_SNPRINTF("plain text, no conversion");
	CHECK_AS_SNPRINTF("%s and %s", "one", "two");
	CHECK_AS_SNPRINTF("%d %d %d %i", 0, -1, INT_MIN, INT_MAX);
	CHECK_AS_SNPRINTF("%u %u", 0u, UINT_MAX);
	CHECK_AS_SNPRINTF("%ld %lu %lld %llu", LONG_MIN, ULONG_MAX, LLONG_MIN, ULLONG_MAX);
	CHECK_AS_SNPRINTF("%zu %" PRIu64 " %" PRId64, SIZE_MAX, UINT64_MAX, INT64_MIN);
	CHECK_AS_SNPRINTF("100%% %c%c%%", 'o', 'k');
	CHECK_AS_SNPRINTF("%s%d%s", "", 7, "");
	CHECK_AS_SNPRINTF("a long run of text ending in a number: %u", 4294967295u);
}

static void
test_printf_libc(void)
{
	/* flags, widths, precisions and other conversions go through vsnprintf */
	CHECK_AS_SNPRINTF("%02x:%5d|%-4s|%.3s|%x %o", 10, 42, "ab", "abcdef", 255u, 8u);
	CHECK_AS_SNPRINTF("%s %.*s %d", "mixed", 3, "xyzzy", -12);
	CHECK_AS_SNPRINTF("%g %p", 1.5, (void *)0);
	CHECK_AS_SNPRINTF("%lx %zx", 0xdeadbeefUL, (size_t)0x10);
}

static void
test_cap(void)
{
	struct strbuf sb = STRBUF_INIT(10);
	char *got = NULL;

	sb_printf(&sb, "%s", "0123456789");
	CHECK_EQ_INT(sb.error, 0);
	sb_printf(&sb, "%d", 1); /* one over the cap */
	CHECK_EQ_INT(sb.error, -EINVAL);
	sb_str(&sb, "more"); /* no-op after an error */
	CHECK_EQ_INT(sb_finish(&sb, &got), -EINVAL);
	CHECK(got == NULL);

	sb = (struct strbuf)STRBUF_INIT(10);
	sb_printf(&sb, "%012d", 1234567); /* the vsnprintf path: the same cap */
	CHECK_EQ_INT(sb.error, -EINVAL);
	CHECK_EQ_INT(sb_finish(&sb, &got), -EINVAL);
}

static void
test_fixed(void)
{
	char buf[8];
	struct strbuf sb = STRBUF_FIXED(buf, sizeof(buf));

	sb_printf(&sb, "%s=%u", "ab", 1234u);
	CHECK_EQ_INT(sb.error, 0);
	CHECK_EQ_INT(sb.len, 7);
	CHECK(sb.p == buf);
	CHECK_EQ_STR(buf, "ab=1234");
	sb_add(&sb, "x", 1); /* the 8th byte would leave no room for the NUL */
	CHECK_EQ_INT(sb.error, -EINVAL);
	CHECK(sb.p == buf);
	CHECK_EQ_STR(buf, "ab=1234");
}

TEST_MAIN(TEST(test_printf_simple), TEST(test_printf_libc), TEST(test_cap), TEST(test_fixed))
