/*
 * The path a GRUB client asks for its per-machine configuration
 * (grub_cfg_path_parse(), from TFTP and HTTP requests): no crash on any
 * string; a success names a UEFI platform, and the canonical path built from
 * what it returned parses back to the same platform and MAC.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "grub-cfg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path, again[64], mac_text[MAC_STRLEN];
	uint8_t mac[MAC_LEN], mac2[MAC_LEN];
	enum boot_arch a, a2;
	int r;

	if ((path = malloc(size + 1)) == NULL)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	r = grub_cfg_path_parse(path, &a, mac);
	free(path);
	if (r < 0) {
		FUZZ_CHECK(r == -ENOENT);
		return 0;
	}
	FUZZ_CHECK(a != BOOT_ARCH_BIOS && boot_arch_name(a) != NULL);
	mac_format(mac, ':', mac_text);
	snprintf(again, sizeof(again), "netbootd/%s/%s", boot_arch_name(a), mac_text);
	FUZZ_CHECK(grub_cfg_path_parse(again, &a2, mac2) == 0);
	FUZZ_CHECK(a2 == a && memcmp(mac2, mac, MAC_LEN) == 0);
	return 0;
}
