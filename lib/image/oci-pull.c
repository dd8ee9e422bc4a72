#include "oci-pull.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"
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

/* With before_build: every layer opened first (the build then never opens a path). */
static int
layers_open(const struct oci_pull_params *p, struct oci_layer *layers, size_t n, char **ret_error)
{
	_cleanup_free_ int *fds = NULL;

	if (p->before_build == NULL)
		return 0;
	if ((fds = calloc(n + 1, sizeof(int))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		layers[i].fd = open(layers[i].path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (layers[i].fd < 0)
			return error_set(ret_error, -errno, "Cannot open layer %zu \"%s\": %m", i,
			    layers[i].path);
		layers[i].opened = true;
		fds[i] = layers[i].fd;
	}
	return p->before_build(fds, n, p->userdata, ret_error);
}

static int
build(const struct oci_pull_params *p, const struct oci_image *img, char **ret_error)
{
	_cleanup_free_ struct oci_layer *layers = calloc(img->n_layers + 1, sizeof(*layers));
	int r;

	if (layers == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < img->n_layers; i++)
		layers[i] = (struct oci_layer){
		    .path = img->layers[i].path, .media_type = img->layers[i].media_type, .fd = -1};
	if ((r = layers_open(p, layers, img->n_layers, ret_error)) < 0)
		goto out;
	r = oci_layers_build(layers, img->n_layers, p->build, p->out_kernel, p->out_initrd,
	    p->out_squashfs, p->progress != NULL ? on_build : NULL, (void *)p, p->cancel,
	    ret_error);
	if (r == 0 && p->cancel != NULL && atomic_load(p->cancel))
		r = -ECANCELED;
out:
	for (size_t i = 0; i < img->n_layers; i++)
		if (layers[i].opened)
			close(layers[i].fd);
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
