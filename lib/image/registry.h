/*
 * A client for the OCI Distribution API v2 (libcurl, OpenSSL libcrypto):
 * pulls an image's manifest, config and layer blobs into a blob cache.
 *
 * registry_pull() resolves a reference (oci-ref.h), fetches the manifest
 * with an Accept header naming the four manifest types (oci-manifest.h),
 * selects the platform from an index, and downloads the config and layer
 * blobs into <cache_dir>/blobs/sha256/<hex>.  It returns the layers in the
 * order they are applied.  A blob already in the cache (with the size of its
 * descriptor) is not downloaded again: files only appear there by rename
 * after their SHA-256 was verified, so the cache is trusted by size.
 *
 * Transport:
 *  - HTTPS; plain HTTP only for registries listed in opts->insecure and for
 *    those on loopback (oci_registry_loopback(): localhost, 127.0.0.0/8,
 *    [::1]), as Docker treats them.
 *  - Authentication: anonymous or Basic credentials go to the token
 *    endpoint of a "WWW-Authenticate: Bearer realm=,service=,scope=" challenge
 *    (registry_challenge_parse); a registry that answers "Basic" gets the
 *    credentials directly.  A 401 on a request made with a token fetches a
 *    new token once (expiry).
 *  - Credentials come from a Docker config.json-format file,
 *    {"auths": {"host[:port]": {"auth": "base64(user:password)"}}}, at the
 *    explicit path opts->auth_file: the daemon uses /etc/netbootd/auth.json,
 *    netbootctl ~/.docker/config.json ($DOCKER_CONFIG/config.json).  Keys may
 *    carry a scheme and a path ("https://index.docker.io/v1/"); Docker Hub
 *    matches "docker.io", "index.docker.io" and "registry-1.docker.io".
 *    A missing file means anonymous access.
 *  - Redirects (blob storage) are followed by this code, not libcurl, at
 *    most REGISTRY_MAX_REDIRECTS: the Authorization header is only sent to
 *    the registry's own scheme://host:port, never to another host, and an
 *    HTTPS registry is never redirected to plain HTTP.
 *  - Manifests are capped at OCI_MANIFEST_MAX_SIZE bytes and their SHA-256 is
 *    checked against the digest they were fetched by (or the registry's
 *    Docker-Content-Digest header when fetched by tag).
 *  - Blobs stream to <hex>.partial with their SHA-256 computed on the way; a
 *    blob longer than its descriptor is cut off.  A broken transfer resumes
 *    with a Range request (or restarts when the server ignores Range);
 *    transient failures (connection errors, 5xx, 429) are retried with
 *    exponential backoff, at most opts->max_retries times per request.
 *    A blob whose content does not match its digest is deleted.  The partial
 *    file is locked (flock) so two pulls of one blob do not interleave.
 *
 * Runs synchronously: call it from a worker thread.  Cancellation: *cancel
 * is checked between chunks and during backoff (-ECANCELED).
 */
#ifndef NETBOOTD_REGISTRY_H
#define NETBOOTD_REGISTRY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REGISTRY_MAX_REDIRECTS 5
#define REGISTRY_DEFAULT_RETRY 5
#define REGISTRY_DEFAULT_DELAY 500   /* ms before the first retry, doubled each time */
#define REGISTRY_MAX_DELAY     10000 /* ms */
#define REGISTRY_MAX_TOKEN     16384 /* bytes of a bearer token */
#define REGISTRY_MAX_AUTH_FILE (1024 * 1024)
#define REGISTRY_MAX_CHALLENGE 4096 /* bytes of a WWW-Authenticate value */
#define REGISTRY_AUTH_FILE_ETC "/etc/netbootd/auth.json"

struct registry_opts {
	const char *auth_file; /* Docker config.json format; NULL: anonymous */
	const char *const
	    *insecure;            /* NULL-terminated "host[:port]" list reached over plain HTTP */
	unsigned max_retries;     /* 0: REGISTRY_DEFAULT_RETRY */
	unsigned retry_delay_ms;  /* 0: REGISTRY_DEFAULT_DELAY */
	unsigned stall_timeout_s; /* abort a transfer with no data for this long; 0: 60 */
	const char *user_agent;   /* NULL: "netbootd/<version>" */
};

struct oci_blob {
	char *path; /* <cache_dir>/blobs/sha256/<hex> */
	char *media_type;
	char digest[72];
	uint64_t size;
};

struct oci_image {
	char *reference; /* registry/repository[:tag], no digest: manifest_digest pins it */
	char manifest_digest[72]; /* of the image manifest (not the index) */
	char *manifest_media_type;
	struct oci_blob config;
	struct oci_blob *layers; /* in application order */
	size_t n_layers;
};

/* 'digest' of the blob being fetched: 'done' of 'total' bytes (total = descriptor size). */
typedef void (*registry_progress_fn)(
    const char *digest, uint64_t done, uint64_t total, void *userdata);

/*
 * Pull 'ref' for 'platform' ("os/arch[/variant]"; NULL: linux/amd64).
 * 0 and *ret, or -errno and a malloc'd message in *ret_error:
 *   -EINVAL   bad reference or platform
 *   -ENOENT   no such image or tag, or no manifest for the platform
 *   -EACCES   authentication refused
 *   -EBADMSG  malformed manifest, or content that does not match its digest
 *   -EFBIG    a manifest or blob larger than its cap or descriptor
 *   -EIO, -ECONNRESET, -ETIMEDOUT  transport failures (after retries)
 *   -ECANCELED
 * The program calls curl_global_init() once, before any thread that pulls
 * starts (it is not thread-safe), and curl_global_cleanup() at exit.
 */
int registry_pull(const struct registry_opts *opts, const char *ref, const char *platform,
    const char *cache_dir, registry_progress_fn progress, void *userdata, const atomic_bool *cancel,
    struct oci_image **ret, char **ret_error);
void oci_image_free(struct oci_image *img);

/* ---- pure helpers (unit-tested and fuzzed) ---- */

enum registry_auth_scheme {
	REGISTRY_AUTH_BASIC,
	REGISTRY_AUTH_BEARER,
};

struct registry_challenge {
	enum registry_auth_scheme scheme;
	char *realm; /* NULL if absent */
	char *service;
	char *scope;
};

/*
 * The first challenge of a WWW-Authenticate value (RFC 9110 11.6.1):
 * scheme, then name=token or name="quoted\"string" pairs separated by
 * commas.  Only Basic and Bearer (case-insensitive) are accepted; Bearer
 * needs a realm.  Unknown parameters are ignored; a repeated one is refused.
 * 0, -EBADMSG, -EOPNOTSUPP (another scheme), -ENOMEM.
 */
int registry_challenge_parse(const char *value, struct registry_challenge **ret);
void registry_challenge_free(struct registry_challenge *c);

/*
 * Credentials for 'registry' ("host[:port]") in a Docker config.json.
 * 0 and both strings, -ENOENT when the file has none for that host, -EBADMSG
 * when the file or the entry is malformed, -ENOMEM.
 */
int registry_auth_lookup(
    const char *json, size_t len, const char *registry, char **ret_user, char **ret_password);

#endif
