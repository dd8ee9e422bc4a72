/*
 * Pass 1 of oci_layers_build() over one arbitrary layer (tar, gzip or zstd):
 * no crash, leak or escape; every failure comes with a message; lookups and
 * the /boot selection work on whatever tree results.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "oci-layers.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_tree *t = oci_tree_new();
	char *error = NULL;
	int r;

	if (t == NULL)
		return 0;
	r = oci_tree_add_layer_memory(t, 0, data, size, &error);
	if (r < 0 && r != -ENOMEM && error == NULL)
		abort();
	free(error);
	if (oci_tree_entries(t) > OCI_LAYERS_MAX_ENTRIES)
		abort();
	(void)oci_tree_find_boot(t, 0);
	(void)oci_tree_find_boot(t, 1);
	(void)oci_tree_lookup(t, "boot/vmlinuz", 1);
	oci_tree_free(t);
	return 0;
}
