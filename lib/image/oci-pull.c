#include "oci-pull.h"

#include <errno.h>
#include <stdlib.h>

#include "oci-ref.h"
#include "util.h"

/* A blob of the pull, named by the first 12 hex digits of its digest. */
static void
on_pull(const char *digest, uint64_t done, uint64_t total, void *userdata)
{
	const struct oci_pull_params *p = userdata;
	char file[13];

	oci_digest_short(digest, file);
	p->progress("pull", file, done, total, p->userdata);
}

static void
on_build(const char *phase, uint64_t done, uint64_t total, void *userdata)
{
	const struct oci_pull_params *p = userdata;

	p->progress("squashfs", phase, done, total, p->userdata);
}

static int
build(const struct oci_pull_params *p, const struct oci_image *img, char **ret_error)
{
	_cleanup_free_ struct oci_layer *layers = calloc(img->n_layers + 1, sizeof(*layers));
	int r;

	if (layers == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < img->n_layers; i++)
		layers[i] = (struct oci_layer){img->layers[i].path, img->layers[i].media_type};
	r = oci_layers_build(layers, img->n_layers, p->build, p->out_kernel, p->out_initrd,
	    p->out_squashfs, p->progress != NULL ? on_build : NULL, (void *)p, p->cancel,
	    ret_error);
	if (r == 0 && p->cancel != NULL && atomic_load(p->cancel))
		r = -ECANCELED;
	return r;
}

int
oci_pull_build(const struct oci_pull_params *p, struct oci_image **ret, char **ret_error)
{
	struct oci_image *img = NULL;
	int r;

	r = registry_pull(p->registry, p->ref, p->platform, p->cache_dir,
	    p->progress != NULL ? on_pull : NULL, (void *)p, p->cancel, &img, ret_error);
	if (r < 0)
		return r;
	r = build(p, img, ret_error);
	if (r < 0) {
		oci_image_free(img);
		return r;
	}
	*ret = img;
	return 0;
}
