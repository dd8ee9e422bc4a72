/* iso-boot: El Torito catalogs built here byte by byte, good and broken. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iso-boot.h"
#include "test.h"

#define SECTOR  ISO_BOOT_SECTOR
#define CATALOG 20 /* the catalog's sector in these images */
#define IMAGE   21 /* the first boot image's sector */
#define SECTORS 40 /* the image's size */

struct img {
	uint8_t b[SECTORS * SECTOR];
	size_t size;
};

static void
put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
descriptor(struct img *m, int sector, uint8_t type)
{
	uint8_t *d = m->b + sector * SECTOR;

	d[0] = type;
	memcpy(d + 1, "CD001", 5);
	d[6] = 1;
}

static void
validation(uint8_t *e, uint8_t platform)
{
	uint16_t sum = 0;

	memset(e, 0, 32);
	e[0] = 1, e[1] = platform, e[30] = 0x55, e[31] = 0xaa;
	for (int i = 0; i < 32; i += 2)
		sum = (uint16_t)(sum + (e[i] | e[i + 1] << 8));
	put_le16(e + 28, (uint16_t)-sum);
}

static void
boot_entry(uint8_t *e, uint8_t indicator, uint32_t lba, uint16_t sectors)
{
	e[0] = indicator;
	put_le16(e + 6, sectors);
	put_le32(e + 8, lba);
}

/* A BIOS initial entry and an EFI section, as xorriso writes for a hybrid ISO. */
static void
build(struct img *m, bool bios, bool efi)
{
	uint8_t *cat = m->b + CATALOG * SECTOR;

	memset(m, 0, sizeof(*m));
	m->size = sizeof(m->b);
	descriptor(m, 16, 1);
	memcpy(m->b + 16 * SECTOR + 40, "KAIROS_LIVE  ", 13);
	put_le32(m->b + 16 * SECTOR + 80, SECTORS);
	put_le16(m->b + 16 * SECTOR + 128, SECTOR);
	descriptor(m, 17, 0);
	memcpy(m->b + 17 * SECTOR + 7, "EL TORITO SPECIFICATION", 23);
	put_le32(m->b + 17 * SECTOR + 71, CATALOG);
	descriptor(m, 18, 255);
	validation(cat, ISO_BOOT_PLATFORM_BIOS);
	boot_entry(cat + 32, bios ? 0x88 : 0x00, IMAGE, 4);
	cat[64] = 0x91, cat[65] = ISO_BOOT_PLATFORM_EFI;
	put_le16(cat + 66, 1);
	boot_entry(cat + 96, efi ? 0x88 : 0x00, IMAGE + 1, 8);
}

static long
read_img(void *u, uint64_t off, void *buf, size_t n)
{
	const struct img *m = u;

	if (off >= m->size)
		return 0;
	if (n > m->size - off)
		n = (size_t)(m->size - off);
	memcpy(buf, m->b + off, n);
	return (long)n;
}

static int
parse(struct img *m, struct iso_boot *ret, const char *want_msg)
{
	char *err = NULL;
	int r = iso_boot_parse(read_img, m, m->size, ret, &err);

	CHECK((r == 0) == (err == NULL));
	if (want_msg != NULL && (err == NULL || strstr(err, want_msg) == NULL)) {
		fprintf(stderr, "message \"%s\" lacks \"%s\"\n", err ? err : "(none)", want_msg);
		test_failures++;
	}
	free(err);
	return r;
}

static void
test_good(void)
{
	static struct img m;
	struct iso_boot b;

	build(&m, true, true);
	CHECK_EQ_INT(parse(&m, &b, NULL), 0);
	CHECK(b.bios && b.efi);
	CHECK_EQ_INT(b.efi_lba, IMAGE + 1);
	CHECK_EQ_INT(b.efi_sectors, 8);
	CHECK_EQ_STR(b.volume_id, "KAIROS_LIVE");
	CHECK_EQ_INT(b.volume_bytes, SECTORS * SECTOR);
	build(&m, false, true); /* EFI only */
	CHECK_EQ_INT(parse(&m, &b, NULL), 0);
	CHECK(!b.bios && b.efi);
	build(&m, true, false); /* BIOS only */
	CHECK_EQ_INT(parse(&m, &b, NULL), 0);
	CHECK(b.bios && !b.efi);
	/* An EFI initial entry (the validation entry names the platform), extension entries. */
	build(&m, true, true);
	validation(m.b + CATALOG * SECTOR, ISO_BOOT_PLATFORM_EFI);
	m.b[CATALOG * SECTOR + 64] = 0x91, m.b[CATALOG * SECTOR + 65] = ISO_BOOT_PLATFORM_BIOS;
	m.b[CATALOG * SECTOR + 128] = 0x44; /* an extension entry after the section's entry */
	CHECK_EQ_INT(parse(&m, &b, NULL), 0);
	CHECK(b.bios && b.efi && b.efi_lba == IMAGE);
}

static void
test_bad(void)
{
	static struct img m;
	struct iso_boot b, untouched;

	memset(&b, 0x5a, sizeof(b));
	untouched = b;
	build(&m, true, true);
	memcpy(m.b + 16 * SECTOR + 1, "CD002", 5);
	CHECK_EQ_INT(parse(&m, &b, "not an ISO 9660 image"), -EBADMSG);
	CHECK(memcmp(&b, &untouched, sizeof(b)) == 0);
	build(&m, true, true);
	m.size = 10 * SECTOR;
	CHECK_EQ_INT(parse(&m, &b, "too short"), -EBADMSG);
	build(&m, true, true);
	m.size = 17 * SECTOR + 100; /* cut inside the boot record */
	CHECK_EQ_INT(parse(&m, &b, "past the end"), -ENOBUFS);
	build(&m, true, true);
	memset(m.b + 17 * SECTOR, 0, SECTOR); /* no boot record: the terminator is not found */
	descriptor(&m, 17, 255);
	CHECK_EQ_INT(parse(&m, &b, "no El Torito boot catalog"), -ENOENT);
	build(&m, true, true);
	descriptor(&m, 16, 2); /* no primary descriptor */
	CHECK_EQ_INT(parse(&m, &b, "no primary volume descriptor"), -EBADMSG);
	build(&m, true, true);
	put_le16(m.b + 16 * SECTOR + 128, 512);
	CHECK_EQ_INT(parse(&m, &b, "block size is 512"), -EBADMSG);
	build(&m, true, true);
	put_le32(m.b + 17 * SECTOR + 71, 0x7fffffff); /* the catalog out of the image */
	CHECK_EQ_INT(parse(&m, &b, "past the end"), -ENOBUFS);
	build(&m, true, true);
	m.b[CATALOG * SECTOR + 10] ^= 1; /* the checksum */
	CHECK_EQ_INT(parse(&m, &b, "bad checksum"), -EBADMSG);
	build(&m, true, true);
	m.b[CATALOG * SECTOR + 31] = 0;
	CHECK_EQ_INT(parse(&m, &b, "no validation entry"), -EBADMSG);
	build(&m, true, true);
	m.b[CATALOG * SECTOR + 96] = 0x87;
	CHECK_EQ_INT(parse(&m, &b, "boot indicator 0x87"), -EBADMSG);
	build(&m, true, true);
	put_le32(m.b + CATALOG * SECTOR + 96 + 8, SECTORS); /* the EFI image past the end */
	CHECK_EQ_INT(parse(&m, &b, "lies past the end"), -ENOBUFS);
	build(&m, true, true);
	put_le16(m.b + CATALOG * SECTOR + 66, 0xffff); /* entries beyond the catalog's reach */
	CHECK_EQ_INT(parse(&m, &b, "larger than"), -E2BIG);
	/* Descriptors without a terminator run into the image's end. */
	build(&m, true, true);
	for (int s = 18; s < SECTORS; s++)
		descriptor(&m, s, 2);
	CHECK_EQ_INT(parse(&m, &b, "past the end"), -ENOBUFS);
	CHECK(memcmp(&b, &untouched, sizeof(b)) == 0);
}

static void
test_fd(void)
{
	static struct img m;
	struct iso_boot b;
	char *err = NULL;
	int fd = memfd_create("iso", MFD_CLOEXEC);

	build(&m, false, true);
	CHECK(fd >= 0 && write(fd, m.b, m.size) == (ssize_t)m.size);
	CHECK_EQ_INT(iso_boot_read_fd(fd, &b, &err), 0);
	CHECK(b.efi && !b.bios);
	CHECK_EQ_INT(ftruncate(fd, 17 * SECTOR), 0);
	CHECK_EQ_INT(iso_boot_read_fd(fd, &b, &err), -ENOBUFS);
	CHECK(err != NULL);
	free(err);
	close(fd);
}

TEST_MAIN(TEST(test_good), TEST(test_bad), TEST(test_fd))
