/* El Torito: which firmware can boot an ISO image (iso-boot.h). */
#include "iso-boot.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"

#define DESC_FIRST   16 /* the first volume descriptor's sector */
#define DESC_BOOT    0
#define DESC_PRIMARY 1
#define DESC_END     255
#define ENTRY        32
#define BOOTABLE     0x88
#define NOT_BOOTABLE 0x00
#define HEADER_MORE  0x90
#define HEADER_LAST  0x91
#define EXTENSION    0x44

static const char el_torito[] = "EL TORITO SPECIFICATION";

struct walk {
	iso_boot_read_fn read;
	void *userdata;
	uint64_t size;
	struct iso_boot out;
	uint32_t catalog; /* its sector; 0: no boot record */
};

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int
read_at(struct walk *w, uint64_t off, uint8_t *buf, size_t n, char **ret_error)
{
	long r;

	if (off > w->size || n > w->size - off)
		return error_set(ret_error, -ENOBUFS,
		    "sector %llu lies past the end of the image (%llu bytes)",
		    (unsigned long long)(off / ISO_BOOT_SECTOR), (unsigned long long)w->size);
	if ((r = w->read(w->userdata, off, buf, n)) < 0)
		return error_set(ret_error, (int)r, "cannot read the image: %s", strerror((int)-r));
	if ((size_t)r < n)
		return error_set(ret_error, -ENOBUFS,
		    "the image ends at %llu bytes, inside sector %llu",
		    (unsigned long long)(off + (uint64_t)r),
		    (unsigned long long)(off / ISO_BOOT_SECTOR));
	return 0;
}

static void
volume_id(const uint8_t *src, char out[33])
{
	size_t n = 32;

	while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0'))
		n--;
	for (size_t i = 0; i < n; i++)
		out[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	out[n] = '\0';
}

static int
primary(struct walk *w, const uint8_t *d, char **ret_error)
{
	if (le16(d + 128) != ISO_BOOT_SECTOR)
		return error_set(ret_error, -EBADMSG,
		    "the primary volume descriptor's block size is %u, not 2048", le16(d + 128));
	volume_id(d + 40, w->out.volume_id);
	w->out.volume_bytes = (uint64_t)le32(d + 80) * ISO_BOOT_SECTOR;
	return 1;
}

/* The descriptors: 1 once the primary one was seen, with w->catalog from the boot record. */
static int
descriptors(struct walk *w, char **ret_error)
{
	uint8_t d[ISO_BOOT_SECTOR];
	int seen = 0, r;

	for (uint64_t i = 0; i < ISO_BOOT_MAX_DESCRIPTORS; i++) {
		if ((r = read_at(w, (DESC_FIRST + i) * ISO_BOOT_SECTOR, d, sizeof(d), ret_error)) <
		    0)
			return i == 0 && r == -ENOBUFS ? error_set(ret_error, -EBADMSG,
			                                     "too short for an ISO 9660 image")
			                               : r;
		if (memcmp(d + 1, "CD001", 5) != 0 || d[6] != 1)
			return error_set(ret_error, -EBADMSG,
			    "not an ISO 9660 image (no volume descriptor at sector %llu)",
			    (unsigned long long)(DESC_FIRST + i));
		if (d[0] == DESC_END)
			break;
		if (d[0] == DESC_PRIMARY && seen == 0 && (seen = primary(w, d, ret_error)) < 0)
			return seen;
		if (d[0] == DESC_BOOT && w->catalog == 0 &&
		    memcmp(d + 7, el_torito, sizeof(el_torito) - 1) == 0)
			w->catalog = le32(d + 71);
	}
	if (seen == 0)
		return error_set(ret_error, -EBADMSG, "no primary volume descriptor");
	return 0;
}

static int
validation(const uint8_t *e, uint8_t *ret_platform, char **ret_error)
{
	uint16_t sum = 0;

	if (e[0] != 1 || e[30] != 0x55 || e[31] != 0xaa)
		return error_set(ret_error, -EBADMSG, "the boot catalog has no validation entry");
	for (size_t i = 0; i < ENTRY; i += 2)
		sum = (uint16_t)(sum + le16(e + i));
	if (sum != 0)
		return error_set(
		    ret_error, -EBADMSG, "the boot catalog's validation entry has a bad checksum");
	*ret_platform = e[1];
	return 0;
}

/* One boot entry of 'platform': bootable ones are noted, the first EFI one kept. */
static int
entry(struct walk *w, const uint8_t *e, uint8_t platform, size_t index, char **ret_error)
{
	uint32_t lba = le32(e + 8), sectors = le16(e + 6);

	if (e[0] != BOOTABLE && e[0] != NOT_BOOTABLE)
		return error_set(ret_error, -EBADMSG,
		    "boot catalog entry %zu: boot indicator 0x%02x is neither 0x88 nor 0", index,
		    e[0]);
	if (e[0] != BOOTABLE)
		return 0;
	if ((uint64_t)lba * ISO_BOOT_SECTOR + (uint64_t)sectors * 512 > w->size)
		return error_set(ret_error, -ENOBUFS,
		    "boot catalog entry %zu: its image (sector %u, %u x 512 bytes) lies past the "
		    "end of the image",
		    index, lba, sectors);
	if (platform == ISO_BOOT_PLATFORM_BIOS)
		w->out.bios = true;
	if (platform == ISO_BOOT_PLATFORM_EFI && !w->out.efi) {
		w->out.efi = true;
		w->out.efi_lba = lba;
		w->out.efi_sectors = sectors;
	}
	return 0;
}

/* The section headers and their entries after the initial entry, up to the last header. */
static int
sections(struct walk *w, const uint8_t *cat, size_t n, char **ret_error)
{
	size_t i = 2 * ENTRY;
	int r;

	while (i + ENTRY <= n && (cat[i] == HEADER_MORE || cat[i] == HEADER_LAST)) {
		uint8_t kind = cat[i], platform = cat[i + 1];
		size_t count = le16(cat + i + 2);

		i += ENTRY;
		for (size_t k = 0; k < count; k++, i += ENTRY) {
			if (i + ENTRY > n)
				return error_set(ret_error, -E2BIG,
				    "the boot catalog is larger than %d bytes",
				    ISO_BOOT_MAX_CATALOG);
			if ((r = entry(w, cat + i, platform, i / ENTRY, ret_error)) < 0)
				return r;
			while (i + 2 * ENTRY <= n && cat[i + ENTRY] == EXTENSION)
				i += ENTRY;
		}
		if (kind == HEADER_LAST)
			break;
	}
	return 0;
}

static int
catalog(struct walk *w, char **ret_error)
{
	uint8_t cat[ISO_BOOT_MAX_CATALOG], platform = 0;
	uint64_t off = (uint64_t)w->catalog * ISO_BOOT_SECTOR;
	size_t n = sizeof(cat);
	int r;

	if (off >= w->size)
		return error_set(ret_error, -ENOBUFS,
		    "the boot catalog (sector %u) lies past the end of the image", w->catalog);
	if (n > w->size - off)
		n = (size_t)(w->size - off);
	n -= n % ENTRY;
	if (n < 2 * ENTRY)
		return error_set(
		    ret_error, -ENOBUFS, "the boot catalog is cut off by the image's end");
	if ((r = read_at(w, off, cat, n, ret_error)) < 0 ||
	    (r = validation(cat, &platform, ret_error)) < 0 ||
	    (r = entry(w, cat + ENTRY, platform, 1, ret_error)) < 0)
		return r;
	return sections(w, cat, n, ret_error);
}

int
iso_boot_parse(
    iso_boot_read_fn read, void *userdata, uint64_t size, struct iso_boot *ret, char **ret_error)
{
	struct walk w = {.read = read, .userdata = userdata, .size = size};
	int r;

	if ((r = descriptors(&w, ret_error)) < 0)
		return r;
	if (w.catalog == 0)
		return error_set(ret_error, -ENOENT, "the image has no El Torito boot catalog");
	if ((r = catalog(&w, ret_error)) < 0)
		return r;
	*ret = w.out;
	return 0;
}

static long
read_fd(void *userdata, uint64_t offset, void *buf, size_t n)
{
	int fd = *(const int *)userdata;
	size_t done = 0;

	while (done < n) {
		ssize_t k = pread(fd, (uint8_t *)buf + done, n - done, (off_t)(offset + done));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		done += (size_t)k;
	}
	return (long)done;
}

int
iso_boot_read_fd(int fd, struct iso_boot *ret, char **ret_error)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int r = -errno;

		return error_set(ret_error, r, "cannot stat the image: %s", strerror(-r));
	}
	if (!S_ISREG(st.st_mode))
		return error_set(ret_error, -EBADMSG, "not a regular file");
	return iso_boot_parse(read_fd, &fd, (uint64_t)st.st_size, ret, ret_error);
}
