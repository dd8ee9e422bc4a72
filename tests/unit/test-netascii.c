#include "netascii.h"

#include <stdint.h>
#include <string.h>

#include "test.h"

/* One call over all of 'in' into a large enough buffer. */
static size_t
encode_all(const char *in, size_t len, uint8_t *out)
{
	struct netascii_state st = {0};
	size_t n = netascii_encode(&st, (const uint8_t *)in, len, out, 2 * len + 1);

	CHECK(!st.owed);
	CHECK_EQ_INT(st.offset, len);
	return n;
}

static void
test_pairs(void)
{
	static const char in[] = "a\nb\rc\r\nd\n\n\r\r";
	static const char want[] = "a\r\nb\r\0c\r\0\r\nd\r\n\r\n\r\0\r\0";
	uint8_t out[64];

	CHECK_EQ_INT(encode_all(in, sizeof(in) - 1, out), sizeof(want) - 1);
	CHECK_EQ_MEM(out, want, sizeof(want) - 1);
	CHECK_EQ_INT(netascii_size((const uint8_t *)in, sizeof(in) - 1), sizeof(want) - 1);
	/* Binary bytes, NUL included, pass through. */
	CHECK_EQ_INT(encode_all("\0\xff\x7f\t", 4, out), 4);
	CHECK_EQ_MEM(out, "\0\xff\x7f\t", 4);
	CHECK_EQ_INT(encode_all("", 0, out), 0);
	CHECK_EQ_INT(netascii_size(NULL, 0), 0);
}

/* A final CR, and a pair cut by the end of the output: owed, then written first. */
static void
test_owed(void)
{
	struct netascii_state st = {0};
	uint8_t out[8];

	CHECK_EQ_INT(encode_all("x\r", 2, out), 3);
	CHECK_EQ_MEM(out, "x\r\0", 3);
	CHECK_EQ_INT(netascii_encode(&st, (const uint8_t *)"ab\n", 3, out, 3), 3);
	CHECK_EQ_MEM(out, "ab\r", 3);
	CHECK(st.owed && st.owed_byte == '\n' && st.offset == 3);
	/* Input used up, the LF still owed: it opens the next output. */
	CHECK_EQ_INT(netascii_encode(&st, NULL, 0, out, 1), 1);
	CHECK(out[0] == '\n' && !st.owed && st.offset == 3);
	CHECK_EQ_INT(netascii_encode(&st, NULL, 0, out, 1), 0);
	/* No room at all: nothing consumed, the state as it was. */
	st = (struct netascii_state){.offset = 7, .owed = true, .owed_byte = '\0'};
	CHECK_EQ_INT(netascii_encode(&st, (const uint8_t *)"z", 1, out, 0), 0);
	CHECK(st.owed && st.offset == 7);
}

/*
 * The daemon's use: blocks of 'blk' converted bytes, each from the state saved
 * at its start with at most 'blk' input bytes read at st.offset; a short block
 * ends the transfer.  The blocks join into the one-call conversion, and a block
 * converted again from its saved state is the same bytes (a retransmission).
 */
static void
check_blocks(const char *in, size_t len, size_t blk)
{
	uint8_t want[512], got[512], block[64], again[64];
	size_t wlen = encode_all(in, len, want), glen = 0, n;
	struct netascii_state st = {0};

	do {
		struct netascii_state saved = st;
		size_t avail = len - st.offset < blk ? len - st.offset : blk;
		size_t m;

		n = netascii_encode(&st, (const uint8_t *)in + st.offset, avail, block, blk);
		m = netascii_encode(&saved, (const uint8_t *)in + saved.offset, avail, again, blk);
		CHECK(m == n && memcmp(again, block, n) == 0);
		CHECK(saved.offset == st.offset && saved.owed == st.owed);
		CHECK(glen + n <= sizeof(got));
		memcpy(got + glen, block, n);
		glen += n;
	} while (n == blk);
	CHECK_EQ_INT(glen, wlen);
	CHECK_EQ_MEM(got, want, wlen);
	CHECK(st.offset == len && !st.owed);
}

static void
test_blocks(void)
{
	static const char text[] = "line one\nline two\r\nbare\rcr\n\n\r\rend\r";
	char bin[200];

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (char)(i * 37 + (i % 5 == 0 ? 10 : i % 7 == 0 ? 13 : 0));
	for (size_t blk = 1; blk <= 40; blk++) {
		check_blocks(text, sizeof(text) - 1, blk);
		check_blocks(bin, sizeof(bin), blk);
		check_blocks("\n\n\n\n", 4, blk); /* 8 bytes: an exact multiple for 1, 2, 4, 8 */
		check_blocks("", 0, blk);
	}
}

TEST_MAIN(TEST(test_pairs), TEST(test_owed), TEST(test_blocks))
