/*
 * oci_doc_parse() on arbitrary bytes (the first byte picks a Content-Type):
 * no crash or leak, a message with every -EBADMSG, parsed documents respect
 * the caps and digest syntax, and platform selection never fails badly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "oci-manifest.h"
#include "oci-ref.h"

static const char *const content_types[] = {NULL, OCI_MT_OCI_INDEX, OCI_MT_DOCKER_LIST,
    OCI_MT_OCI_MANIFEST, OCI_MT_DOCKER_MANIFEST "; charset=utf-8", "application/json"};

static void
check_descriptor(const struct oci_descriptor *d)
{
	if (!oci_digest_valid(d->digest) || d->media_type == NULL ||
	    d->size > OCI_MANIFEST_MAX_BLOB || strlen(d->media_type) > OCI_MEDIA_TYPE_MAX)
		abort();
}

static void
check(const struct oci_doc *d)
{
	static const char *const platforms[] = {"linux/amd64", "linux/arm64", "linux/arm/v7"};

	if (d->kind == OCI_DOC_MANIFEST) {
		if (d->n_layers == 0 || d->n_layers > OCI_MANIFEST_MAX_LAYERS)
			abort();
		check_descriptor(&d->config);
		for (size_t i = 0; i < d->n_layers; i++)
			check_descriptor(&d->layers[i]);
		return;
	}
	if (d->n_manifests > OCI_MANIFEST_MAX_ENTRIES)
		abort();
	for (size_t i = 0; i < d->n_manifests; i++)
		check_descriptor(&d->manifests[i]);
	for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++) {
		const struct oci_descriptor *sel = NULL;
		struct oci_platform p;
		char *err = NULL;
		int r;

		if (oci_platform_parse(platforms[i], &p) < 0)
			abort();
		r = oci_doc_select(d, &p, &sel, &err);
		if ((r == 0 && (sel == NULL || err != NULL)) || (r < 0 && r != -ENOENT))
			abort();
		free(err);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_doc *d = NULL;
	const char *ct;
	char *err = NULL;
	int r;

	if (size == 0)
		return 0;
	ct = content_types[data[0] % (sizeof(content_types) / sizeof(content_types[0]))];
	r = oci_doc_parse((const char *)data + 1, size - 1, ct, &d, &err);
	if (r == 0) {
		if (d == NULL || err != NULL)
			abort();
		check(d);
	} else if (r == -EBADMSG) {
		if (d != NULL || err == NULL)
			abort();
	} else if (r != -ENOMEM) {
		abort();
	}
	oci_doc_free(d);
	free(err);
	return 0;
}
