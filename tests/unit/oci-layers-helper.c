/*
 * Drives oci_layers_build() for tests/integration/test-oci-layers.sh:
 *   oci-layers-helper [-c gzip|zstd|xz] [-k KERNEL] [-i INITRD] [-m MAX_SIZE] OUTDIR
 *                     LAYER[=MEDIATYPE]...
 * writes OUTDIR/kernel, OUTDIR/initrd and OUTDIR/rootfs.squashfs; on failure
 * prints the error and exits 1.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
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

static const char *const out_names[3] = {"kernel", "initrd", "rootfs.squashfs"};

/* Build into temporary files of OUTDIR (dir_fd), published only on success. */
static int
run(int dir_fd, const struct oci_layer *layers, size_t n, const struct oci_build_opts *opts,
    unsigned *calls, char **ret_error)
{
	struct io_tmpfile t[3] = {{.fd = -1}, {.fd = -1}, {.fd = -1}};
	int r = 0;

	for (size_t f = 0; f < 3 && r == 0; f++)
		r = io_tmpfile_open(dir_fd, out_names[f], &t[f]);
	if (r == 0)
		r = oci_layers_build(
		    layers, n, opts, t[0].fd, t[1].fd, t[2].fd, progress, calls, NULL, ret_error);
	for (size_t f = 0; f < 3 && r == 0; f++)
		r = io_tmpfile_publish(&t[f], out_names[f], 0644, 0);
	for (size_t f = 0; f < 3; f++)
		io_tmpfile_discard(&t[f]);
	return r;
}

int
main(int argc, char **argv)
{
	struct oci_build_opts opts = {0};
	struct oci_layer layers[OCI_LAYERS_MAX_LAYERS];
	char *error = NULL;
	unsigned calls = 0;
	size_t n = 0;
	int c, r, dir_fd;

	while ((c = getopt(argc, argv, "c:k:i:m:")) != -1) {
		if (c == 'c')
			opts.compressor = optarg;
		else if (c == 'k')
			opts.kernel = optarg;
		else if (c == 'i')
			opts.initrd = optarg;
		else if (c == 'm')
			opts.max_size = strtoull(optarg, NULL, 10);
		else
			return 2;
	}
	if (argc - optind < 2 || argc - optind - 1 > OCI_LAYERS_MAX_LAYERS)
		return 2;
	if ((dir_fd = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		perror(argv[optind]);
		return 1;
	}
	for (int i = optind + 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq != NULL)
			*eq++ = '\0';
		layers[n++] = (struct oci_layer){.path = argv[i], .media_type = eq};
	}
	r = run(dir_fd, layers, n, &opts, &calls, &error);
	close(dir_fd);
	if (r < 0) {
		fprintf(stderr, "error: %s\n", error != NULL ? error : strerror(-r));
		free(error);
		return 1;
	}
	printf("ok progress-calls=%u\n", calls);
	return 0;
}
