/*
 * OCI image references as users write them:
 *
 *   ubuntu                      registry-1.docker.io  library/ubuntu        tag latest
 *   x:tag                       registry-1.docker.io  library/x             tag "tag"
 *   docker.io/library/x         registry-1.docker.io  library/x             tag latest
 *   quay.io/kairos/ubuntu:TAG   quay.io               kairos/ubuntu         tag TAG
 *   registry:5000/ns/x@sha256:<64 hex>                                      digest only
 *   localhost/x:t               localhost             x
 *   [::1]:5000/x                [::1]:5000            x                     (IPv6 in brackets)
 *
 * The first '/'-separated component is a registry when it contains '.' or
 * ':' or is "localhost" (the Docker rule); otherwise the registry is Docker
 * Hub.  "docker.io" and "index.docker.io" become registry-1.docker.io (the
 * API host) and single-component Docker Hub names get the "library/"
 * prefix.  Without tag and digest the tag is "latest"; with a digest and no
 * tag, the tag is NULL and the digest alone names the manifest.
 *
 * Syntax (distribution/reference): repository components
 * [a-z0-9]+ joined by '.', '_', "__" or runs of '-'; tags [A-Za-z0-9_][A-Za-z0-9_.-]{0,127};
 * digests: only "sha256:" + 64 lower-case hex digits (the only algorithm
 * this client can verify).  A reference is at most OCI_REF_MAX bytes.
 *
 * Pure code.
 */
#ifndef NETBOOTD_OCI_REF_H
#define NETBOOTD_OCI_REF_H

#include <stdbool.h>
#include <stddef.h>

#define OCI_REF_MAX         1024
#define OCI_REF_MAX_TAG     128
#define OCI_REF_DOCKER_HOST "registry-1.docker.io"
#define OCI_DIGEST_LEN      71 /* "sha256:" + 64 */

struct oci_ref {
	char *registry;   /* API host[:port]: "quay.io", "registry-1.docker.io" */
	char *repository; /* "kairos/ubuntu", "library/x" */
	char *tag;        /* NULL when only a digest was given */
	char *digest;     /* "sha256:<hex>" or NULL */
};

/* "sha256:" followed by exactly 64 lower-case hex digits, then NUL. */
bool oci_digest_valid(const char *s);
/* The first 12 hex digits of a digest ("sha256:0123..."), for progress lines. */
void oci_digest_short(const char *digest, char ret[13]);

/* 0, or -EBADMSG with a message, or -ENOMEM. */
int oci_ref_parse(const char *s, struct oci_ref **ret, char **ret_error);
void oci_ref_free(struct oci_ref *ref);

/*
 * Whether a registry ("host[:port]") is this machine's loopback, as Docker
 * decides it: "localhost", 127.0.0.0/8, [::1].  By name only, nothing resolved.
 */
bool oci_registry_loopback(const char *registry);

/* The tag or digest to put in /v2/<repository>/manifests/<reference>. */
const char *oci_ref_reference(const struct oci_ref *ref);

/* Canonical text: "registry/repository[:tag][@digest]" (parses back to the same). */
int oci_ref_format(const struct oci_ref *ref, char **ret);
/* The same without the digest, "registry/repository[:tag]": the name to pin with one. */
int oci_ref_format_name(const struct oci_ref *ref, char **ret);

#endif
