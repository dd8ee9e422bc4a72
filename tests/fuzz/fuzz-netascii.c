/*
 * netascii conversion: the input cut into blocks of a size taken from its
 * first byte, each block converted from the state saved at its start, joins
 * into the one-call conversion, whose length is netascii_size(), and which
 * decodes (CR LF -> LF, CR NUL -> CR) back to the input.
 */
#include <string.h>

#include "fuzz.h"
#include "netascii.h"

#define MAX_IN 4096

static size_t
decode(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		FUZZ_CHECK(in[i] != '\n' || (i > 0 && in[i - 1] == '\r'));
		if (in[i] == '\r') {
			FUZZ_CHECK(i + 1 < len && (in[i + 1] == '\n' || in[i + 1] == '\0'));
			out[n++] = in[i + 1] == '\n' ? '\n' : '\r';
			i++;
		} else {
			out[n++] = in[i];
		}
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t want[2 * MAX_IN], got[2 * MAX_IN], back[MAX_IN];
	struct netascii_state st = {0}, whole = {0};
	size_t blk, wlen, glen = 0, n;

	if (size < 1 || size > MAX_IN + 1)
		return 0;
	blk = (size_t)data[0] % 64 + 1;
	data++, size--;
	wlen = netascii_encode(&whole, data, size, want, sizeof(want));
	FUZZ_CHECK(wlen == netascii_size(data, size) && whole.offset == size && !whole.owed);
	do {
		size_t avail = size - st.offset < blk ? size - st.offset : blk;

		n = netascii_encode(&st, data + st.offset, avail, got + glen, blk);
		FUZZ_CHECK(n <= blk && st.offset <= size);
		glen += n;
		FUZZ_CHECK(glen <= wlen);
	} while (n == blk);
	FUZZ_CHECK(glen == wlen && memcmp(got, want, wlen) == 0);
	FUZZ_CHECK(decode(want, wlen, back) == size && memcmp(back, data, size) == 0);
	return 0;
}
