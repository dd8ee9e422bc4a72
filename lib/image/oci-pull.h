/*
 * From an OCI image reference to the three netboot files: registry_pull()
 * into a blob cache, then oci_layers_build() over its layers (kernel and
 * initrd from the image, the flattened layers as a squashfs).  One code path
 * for the daemon's add-image REF and for netbootctl extract oci.
 */
#ifndef NETBOOTD_OCI_PULL_H
#define NETBOOTD_OCI_PULL_H

#include <stdatomic.h>
#include <stdint.h>

#include "oci-layers.h"
#include "registry.h"

/*
 * Progress: phase "pull" with the blob's short digest as 'file', then phase
 * "squashfs" with "scan" or "write" (oci_layers_build's passes).
 */
typedef void (*oci_pull_progress_fn)(
    const char *phase, const char *file, uint64_t done, uint64_t total, void *userdata);

struct oci_pull_params {
	const struct registry_opts *registry;
	const char *ref;
	const char *platform; /* "os/arch[/variant]"; NULL: linux/amd64 */
	const char *cache_dir;
	const struct oci_build_opts *build;
	int out_kernel, out_initrd, out_squashfs; /* descriptors to write (the caller's) */
	/*
	 * May be NULL.  Called between the pull and the build with every layer
	 * blob open, fds[0..n) (the build reads them through those descriptors
	 * only): the import child locks itself down here (daemon/sandbox.h).  A
	 * negative return stops the build with that error.
	 */
	int (*before_build)(const int *fds, size_t n, void *userdata, char **ret_error);
	oci_pull_progress_fn progress; /* may be NULL */
	void *userdata;
	const atomic_bool *cancel; /* may be NULL; checked throughout */
};

/*
 * Pull and build.  0 and the pulled image in *ret (oci_image_free()), or
 * -errno with a message in *ret_error (may be NULL): the errors of
 * registry_pull() and oci_layers_build(), -ECANCELED.
 */
int oci_pull_build(const struct oci_pull_params *p, struct oci_image **ret, char **ret_error);

#endif
