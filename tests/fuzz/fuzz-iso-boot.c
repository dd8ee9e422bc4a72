/*
 * iso_boot_parse() on arbitrary bytes taken as an ISO image: no crash or
 * leak; a failure comes with a message and leaves the result untouched; a
 * success names an EFI image inside the image and a printable volume id.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "iso-boot.h"

struct buf {
	const uint8_t *p;
	size_t n;
};

static long
read_buf(void *u, uint64_t off, void *dst, size_t n)
{
	const struct buf *b = u;

	if (off >= b->n)
		return 0;
	if (n > b->n - off)
		n = (size_t)(b->n - off);
	memcpy(dst, b->p + off, n);
	return (long)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b = {data, size};
	struct iso_boot out, untouched;
	char *error = NULL;
	int r;

	memset(&out, 0xa5, sizeof(out));
	memcpy(&untouched, &out, sizeof(out));
	r = iso_boot_parse(read_buf, &b, size, &out, &error);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENOBUFS || r == -ENOENT || r == -E2BIG);
	if (r < 0) {
		FUZZ_CHECK(error != NULL && error[0] != '\0');
		FUZZ_CHECK(memcmp(&out, &untouched, sizeof(out)) == 0);
	} else {
		FUZZ_CHECK(error == NULL);
		FUZZ_CHECK(strnlen(out.volume_id, sizeof(out.volume_id)) < sizeof(out.volume_id));
		for (const char *s = out.volume_id; *s != '\0'; s++)
			FUZZ_CHECK(*s >= 0x20 && *s < 0x7f);
		FUZZ_CHECK(!out.efi || (uint64_t)out.efi_lba * ISO_BOOT_SECTOR +
		                               (uint64_t)out.efi_sectors * 512 <=
		                           size);
	}
	free(error);
	return 0;
}
