/*
 * Drives oci_layers_build() for tests/integration/test-oci-layers.sh:
 *   oci-layers-helper [-c gzip|zstd|xz] [-k KERNEL] [-i INITRD] OUTDIR LAYER[=MEDIATYPE]...
 * writes OUTDIR/kernel, OUTDIR/initrd and OUTDIR/rootfs.squashfs; on failure
 * prints the error and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci-layers.h"

static void
progress(const char *phase, uint64_t done, uint64_t total, void *userdata)
{
	unsigned *calls = userdata;

	(*calls)++;
	if (done > total)
		fprintf(stderr, "progress overflow in %s: %llu > %llu\n", phase,
		    (unsigned long long)done, (unsigned long long)total);
}

int
main(int argc, char **argv)
{
	struct oci_build_opts opts = {0};
	struct oci_layer layers[OCI_LAYERS_MAX_LAYERS];
	char kernel[4096], initrd[4096], squashfs[4096];
	char *error = NULL;
	unsigned calls = 0;
	size_t n = 0;
	int c, r;

	while ((c = getopt(argc, argv, "c:k:i:")) != -1) {
		if (c == 'c')
			opts.compressor = optarg;
		else if (c == 'k')
			opts.kernel = optarg;
		else if (c == 'i')
			opts.initrd = optarg;
		else
			return 2;
	}
	if (argc - optind < 2 || argc - optind - 1 > OCI_LAYERS_MAX_LAYERS)
		return 2;
	snprintf(kernel, sizeof(kernel), "%s/kernel", argv[optind]);
	snprintf(initrd, sizeof(initrd), "%s/initrd", argv[optind]);
	snprintf(squashfs, sizeof(squashfs), "%s/rootfs.squashfs", argv[optind]);
	for (int i = optind + 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq != NULL)
			*eq++ = '\0';
		layers[n++] = (struct oci_layer){.path = argv[i], .media_type = eq};
	}
	r = oci_layers_build(
	    layers, n, &opts, kernel, initrd, squashfs, progress, &calls, NULL, &error);
	if (r < 0) {
		fprintf(stderr, "error: %s\n", error != NULL ? error : "(none)");
		free(error);
		return 1;
	}
	printf("ok progress-calls=%u\n", calls);
	return 0;
}
