/*
 * OCI and Docker manifests, parsed from untrusted registry bytes (cJSON).
 *
 * Four document types, told apart by the document's "mediaType", else the
 * HTTP Content-Type, else by shape ("manifests" versus "layers"):
 *   OCI image index          application/vnd.oci.image.index.v1+json
 *   Docker manifest list     application/vnd.docker.distribution.manifest.list.v2+json
 *   OCI image manifest       application/vnd.oci.image.manifest.v1+json
 *   Docker v2 manifest       application/vnd.docker.distribution.manifest.v2+json
 * "schemaVersion" must be 2 (Docker schema 1 is refused).
 *
 * Every descriptor has a media type (printable, at most 255 bytes), a
 * digest ("sha256:" + 64 lower-case hex: the only algorithm we verify) and a
 * size (a non-negative integer, at most OCI_MANIFEST_MAX_BLOB).  Caps:
 * OCI_MANIFEST_MAX_SIZE bytes of JSON, OCI_MANIFEST_MAX_ENTRIES entries in an
 * index, OCI_MANIFEST_MAX_LAYERS layers.  Unknown keys are ignored (the
 * specs allow extensions: annotations, urls, subject...).
 *
 * Platform selection in an index: os and architecture must match; a
 * requested variant must match; without one the entry without variant (or,
 * for arm64, variant "v8") wins over the others.  Entries whose platform
 * is "unknown" (build attestations) never match.  "x86_64" and "aarch64"
 * are accepted as aliases of amd64 and arm64.
 *
 * Pure code.
 */
#ifndef NETBOOTD_OCI_MANIFEST_H
#define NETBOOTD_OCI_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OCI_MANIFEST_MAX_SIZE    (4 * 1024 * 1024)
#define OCI_MANIFEST_MAX_ENTRIES 256
#define OCI_MANIFEST_MAX_LAYERS  256
#define OCI_MANIFEST_MAX_BLOB    (64ULL << 30) /* 64 GiB per blob */
#define OCI_MEDIA_TYPE_MAX       255
#define OCI_PLATFORM_FIELD_MAX   32
#define OCI_PLATFORM_DEFAULT     "linux/amd64"

#define OCI_MT_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define OCI_MT_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define OCI_MT_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
/* The Accept header value for a manifest GET: all four. */
#define OCI_MANIFEST_ACCEPT                                                                        \
	OCI_MT_OCI_INDEX ", " OCI_MT_DOCKER_LIST ", " OCI_MT_OCI_MANIFEST                          \
	                 ", " OCI_MT_DOCKER_MANIFEST

enum oci_doc_kind {
	OCI_DOC_INDEX,    /* OCI index or Docker manifest list */
	OCI_DOC_MANIFEST, /* OCI or Docker v2 image manifest */
};

struct oci_platform {
	char os[OCI_PLATFORM_FIELD_MAX + 1];
	char architecture[OCI_PLATFORM_FIELD_MAX + 1];
	char variant[OCI_PLATFORM_FIELD_MAX + 1]; /* "" when none */
};

struct oci_descriptor {
	char *media_type;
	char digest[72];
	uint64_t size;
	bool has_platform; /* index entries */
	struct oci_platform platform;
};

struct oci_doc {
	enum oci_doc_kind kind;
	char *media_type;
	/* OCI_DOC_INDEX */
	struct oci_descriptor *manifests;
	size_t n_manifests;
	/* OCI_DOC_MANIFEST */
	struct oci_descriptor config;
	struct oci_descriptor *layers;
	size_t n_layers;
};

/* "os/arch[/variant]", each field [a-z0-9._-]{1,32}.  -EBADMSG otherwise. */
int oci_platform_parse(const char *s, struct oci_platform *ret);

/*
 * Parse a manifest document.  content_type: the HTTP Content-Type or NULL
 * (parameters after ';' ignored).  0, -EBADMSG with a message, -ENOMEM.
 */
int oci_doc_parse(
    const char *buf, size_t len, const char *content_type, struct oci_doc **ret, char **ret_error);
void oci_doc_free(struct oci_doc *doc);

/* The index entry for 'want' (borrowed), or -ENOENT with a message listing what there is. */
int oci_doc_select(const struct oci_doc *doc, const struct oci_platform *want,
    const struct oci_descriptor **ret, char **ret_error);

#endif
