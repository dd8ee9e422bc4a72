/*
 * What firmware can boot an ISO 9660 image: its El Torito boot catalog.
 * "netbootctl add-image NAME --whole-iso FILE" keeps an ISO whole for UEFI
 * HTTP Boot (the firmware loads it into a RAM disk and starts the EFI boot
 * image of its catalog) and iPXE's sanboot; an ISO without an EFI entry
 * could not boot that way and is refused.
 *
 * The walk (ECMA-119 and the El Torito specification 1.0): the volume
 * descriptors from sector 16 (2048-byte sectors) up to the terminator (type
 * 255), at most ISO_BOOT_MAX_DESCRIPTORS of them; the primary one (type 1)
 * gives the volume size and identifier, the boot record (type 0, "EL TORITO
 * SPECIFICATION") the catalog's sector.  The catalog: a validation entry
 * (header 1, key 55 AA, its 16 words summing to 0) naming the platform of
 * the initial entry that follows, then section headers (0x90, the last
 * 0x91) each naming a platform and counting its entries, extension entries
 * (0x44) skipped.  Platforms: 0 x86 BIOS, 0xEF EFI.  Every sector read is
 * checked against the image's size; the catalog is read from at most
 * ISO_BOOT_MAX_CATALOG bytes.
 *
 * Pure code: the bytes come through a read callback (pread on a file, a
 * buffer in the fuzzer).  Errors are -errno plus a malloc'd sentence in
 * *ret_error: -EBADMSG not an ISO or a malformed catalog, -ENOBUFS a
 * sector past the end of the image, -ENOENT no boot catalog, -E2BIG a
 * catalog longer than ISO_BOOT_MAX_CATALOG, or the read callback's error.  *ret is untouched on failure.
 */
#ifndef NETBOOTD_ISO_BOOT_H
#define NETBOOTD_ISO_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISO_BOOT_SECTOR          2048
#define ISO_BOOT_MAX_DESCRIPTORS 64
#define ISO_BOOT_MAX_CATALOG     (4 * ISO_BOOT_SECTOR)
#define ISO_BOOT_PLATFORM_BIOS   0x00
#define ISO_BOOT_PLATFORM_EFI    0xef

struct iso_boot {
	char volume_id[33];    /* the primary descriptor's, trailing blanks cut; "?" for controls */
	uint64_t volume_bytes; /* the volume size the primary descriptor declares */
	bool bios;             /* a bootable x86 BIOS entry */
	bool efi;              /* a bootable EFI entry */
	uint32_t efi_lba;      /* the first EFI entry's image: sector (2048 bytes) */
	uint32_t efi_sectors;  /* and length in 512-byte sectors (0: to the end of the volume) */
};

/*
 * Read 'n' bytes at 'offset' into 'buf': the count read (short at the end
 * of the image) or -errno.
 */
typedef long (*iso_boot_read_fn)(void *userdata, uint64_t offset, void *buf, size_t n);

int iso_boot_parse(
    iso_boot_read_fn read, void *userdata, uint64_t size, struct iso_boot *ret, char **ret_error);
/* iso_boot_parse() on an open file (pread; the size from fstat). */
int iso_boot_read_fd(int fd, struct iso_boot *ret, char **ret_error);

#endif
