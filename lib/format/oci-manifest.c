/*
 * OCI/Docker manifest parsing and platform selection: see oci-manifest.h.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "oci-manifest.h"
#include "oci-ref.h"
#include "util.h"

static bool
printable(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f || n >= max)
			return false;
	return n > 0;
}

static bool
field_valid(const char *s, size_t n)
{
	return n >= 1 && n <= OCI_PLATFORM_FIELD_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") >= n;
}

static void
normalise_arch(struct oci_platform *p)
{
	if (strcmp(p->architecture, "x86_64") == 0)
		strcpy(p->architecture, "amd64");
	else if (strcmp(p->architecture, "aarch64") == 0)
		strcpy(p->architecture, "arm64");
}

int
oci_platform_parse(const char *s, struct oci_platform *ret)
{
	struct oci_platform p = {0};
	const char *f[3] = {NULL};
	size_t len[3] = {0}, n = 0;

	if (s == NULL)
		return -EBADMSG;
	for (const char *q = s; n < 3; n++) {
		f[n] = q;
		len[n] = strcspn(q, "/");
		if (!field_valid(q, len[n]))
			return -EBADMSG;
		q += len[n];
		if (*q == '\0') {
			n++;
			break;
		}
		q++;
		if (n == 2)
			return -EBADMSG; /* a fourth field */
	}
	if (n < 2)
		return -EBADMSG;
	memcpy(p.os, f[0], len[0]);
	memcpy(p.architecture, f[1], len[1]);
	if (n == 3)
		memcpy(p.variant, f[2], len[2]);
	normalise_arch(&p);
	*ret = p;
	return 0;
}

static void
descriptor_clear(struct oci_descriptor *d)
{
	free(d->media_type);
	d->media_type = NULL;
}

void
oci_doc_free(struct oci_doc *doc)
{
	if (doc == NULL)
		return;
	for (size_t i = 0; i < doc->n_manifests; i++)
		descriptor_clear(&doc->manifests[i]);
	for (size_t i = 0; i < doc->n_layers; i++)
		descriptor_clear(&doc->layers[i]);
	descriptor_clear(&doc->config);
	free(doc->manifests);
	free(doc->layers);
	free(doc->media_type);
	free(doc);
}

static int
get_platform_field(const cJSON *pl, const char *key, bool required, char *dst, char **err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(pl, key);

	if (v == NULL && !required)
		return 0;
	if (!cJSON_IsString(v) || !field_valid(v->valuestring, strlen(v->valuestring)) ||
	    strlen(v->valuestring) > OCI_PLATFORM_FIELD_MAX)
		return error_set(err, -EBADMSG,
		    "an index entry's platform %s is missing or not [a-z0-9._-]{1,%d}", key,
		    OCI_PLATFORM_FIELD_MAX);
	strcpy(dst, v->valuestring);
	return 0;
}

static int
parse_platform(const cJSON *pl, struct oci_platform *p, char **err)
{
	int r;

	if (!cJSON_IsObject(pl))
		return error_set(err, -EBADMSG, "an index entry's platform is not an object");
	if ((r = get_platform_field(pl, "os", true, p->os, err)) < 0 ||
	    (r = get_platform_field(pl, "architecture", true, p->architecture, err)) < 0 ||
	    (r = get_platform_field(pl, "variant", false, p->variant, err)) < 0)
		return r;
	normalise_arch(p);
	return 0;
}

static int
parse_descriptor(const cJSON *o, const char *what, struct oci_descriptor *d, char **err)
{
	const cJSON *mt = cJSON_GetObjectItemCaseSensitive(o, "mediaType");
	const cJSON *dg = cJSON_GetObjectItemCaseSensitive(o, "digest");
	const cJSON *sz = cJSON_GetObjectItemCaseSensitive(o, "size");
	const cJSON *pl = cJSON_GetObjectItemCaseSensitive(o, "platform");

	if (!cJSON_IsObject(o))
		return error_set(err, -EBADMSG, "a %s descriptor is not an object", what);
	if (!cJSON_IsString(mt) || !printable(mt->valuestring, OCI_MEDIA_TYPE_MAX))
		return error_set(err, -EBADMSG, "a %s descriptor has no valid mediaType", what);
	if (!cJSON_IsString(dg) || !oci_digest_valid(dg->valuestring))
		return error_set(err, -EBADMSG,
		    "a %s descriptor's digest is not \"sha256:\" and 64 lower-case hex digits",
		    what);
	if (!cJSON_IsNumber(sz) || !(sz->valuedouble >= 0) ||
	    sz->valuedouble > (double)OCI_MANIFEST_MAX_BLOB ||
	    floor(sz->valuedouble) != sz->valuedouble)
		return error_set(err, -EBADMSG,
		    "a %s descriptor's size is not an integer from 0 to %llu", what,
		    (unsigned long long)OCI_MANIFEST_MAX_BLOB);
	if (pl != NULL) {
		int r = parse_platform(pl, &d->platform, err);

		if (r < 0)
			return r;
		d->has_platform = true;
	}
	strcpy(d->digest, dg->valuestring);
	d->size = (uint64_t)sz->valuedouble;
	if ((d->media_type = strdup(mt->valuestring)) == NULL)
		return -ENOMEM;
	return 0;
}

static int
parse_descriptor_array(const cJSON *arr, const char *what, size_t max, struct oci_descriptor **ret,
    size_t *ret_n, char **err)
{
	int n = cJSON_GetArraySize(arr), r;
	const cJSON *it;
	size_t i = 0;

	if (!cJSON_IsArray(arr))
		return error_set(err, -EBADMSG, "the %s list is missing or not an array", what);
	if ((size_t)n > max)
		return error_set(
		    err, -EBADMSG, "the manifest has %d %s entries, more than %zu", n, what, max);
	if (n == 0)
		return 0;
	if ((*ret = calloc((size_t)n, sizeof(**ret))) == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr)
	{
		if ((r = parse_descriptor(it, what, &(*ret)[i], err)) < 0)
			return r; /* the caller frees what was filled (media_type NULL elsewhere) */
		*ret_n = ++i;
	}
	return 0;
}

static const char *
doc_media_type(const cJSON *root, const char *content_type, char *buf, size_t bufsize)
{
	const cJSON *mt = cJSON_GetObjectItemCaseSensitive(root, "mediaType");
	size_t n;

	if (cJSON_IsString(mt))
		return mt->valuestring;
	if (content_type == NULL)
		return NULL;
	n = strcspn(content_type, "; \t");
	if (n >= bufsize)
		return NULL;
	memcpy(buf, content_type, n);
	buf[n] = '\0';
	return buf;
}

static int
doc_kind(
    const cJSON *root, const char *content_type, enum oci_doc_kind *ret, char **ret_mt, char **err)
{
	char buf[OCI_MEDIA_TYPE_MAX + 1];
	const char *mt = doc_media_type(root, content_type, buf, sizeof(buf));

	/* Content-Types like application/json or octet-stream say nothing: look at the shape. */
	if (mt != NULL &&
	    (strcmp(mt, OCI_MT_OCI_INDEX) == 0 || strcmp(mt, OCI_MT_DOCKER_LIST) == 0))
		*ret = OCI_DOC_INDEX;
	else if (mt != NULL &&
	         (strcmp(mt, OCI_MT_OCI_MANIFEST) == 0 || strcmp(mt, OCI_MT_DOCKER_MANIFEST) == 0))
		*ret = OCI_DOC_MANIFEST;
	else if (mt != NULL && strstr(mt, "vnd.") != NULL)
		return error_set(err, -EBADMSG, "the manifest media type \"%s\" is not supported",
		    printable(mt, OCI_MEDIA_TYPE_MAX) ? mt : "(unprintable)");
	else if (cJSON_GetObjectItemCaseSensitive(root, "manifests") != NULL)
		*ret = OCI_DOC_INDEX, mt = OCI_MT_OCI_INDEX;
	else if (cJSON_GetObjectItemCaseSensitive(root, "layers") != NULL)
		*ret = OCI_DOC_MANIFEST, mt = OCI_MT_OCI_MANIFEST;
	else
		return error_set(
		    err, -EBADMSG, "the document is neither an image index nor an image manifest");
	if ((*ret_mt = strdup(mt)) == NULL)
		return -ENOMEM;
	return 0;
}

static int
parse_root(const cJSON *root, const char *content_type, struct oci_doc *doc, char **err)
{
	const cJSON *sv = cJSON_GetObjectItemCaseSensitive(root, "schemaVersion");
	int r;

	if (!cJSON_IsObject(root))
		return error_set(err, -EBADMSG, "the manifest is not a JSON object");
	if (!cJSON_IsNumber(sv) || sv->valuedouble != 2)
		return error_set(err, -EBADMSG, "the manifest's schemaVersion is not 2");
	if ((r = doc_kind(root, content_type, &doc->kind, &doc->media_type, err)) < 0)
		return r;
	if (doc->kind == OCI_DOC_INDEX)
		return parse_descriptor_array(cJSON_GetObjectItemCaseSensitive(root, "manifests"),
		    "manifests", OCI_MANIFEST_MAX_ENTRIES, &doc->manifests, &doc->n_manifests, err);
	if ((r = parse_descriptor(cJSON_GetObjectItemCaseSensitive(root, "config"), "config",
	         &doc->config, err)) < 0)
		return r;
	if ((r = parse_descriptor_array(cJSON_GetObjectItemCaseSensitive(root, "layers"), "layers",
	         OCI_MANIFEST_MAX_LAYERS, &doc->layers, &doc->n_layers, err)) < 0)
		return r;
	if (doc->n_layers == 0)
		return error_set(err, -EBADMSG, "the image manifest has no layers");
	return 0;
}

int
oci_doc_parse(
    const char *buf, size_t len, const char *content_type, struct oci_doc **ret, char **ret_error)
{
	_cleanup_free_ char *err = NULL;
	struct oci_doc *doc;
	cJSON *root;
	int r;

	if (len > OCI_MANIFEST_MAX_SIZE)
		return error_set(ret_error, -EBADMSG, "the manifest is larger than %d bytes",
		    OCI_MANIFEST_MAX_SIZE);
	if (len == 0 || memchr(buf, '\0', len) != NULL)
		return error_set(ret_error, -EBADMSG, "the manifest is empty or has NUL bytes");
	if ((root = cJSON_ParseWithLength(buf, len)) == NULL)
		return error_set(ret_error, -EBADMSG, "the manifest is not valid JSON");
	if ((doc = calloc(1, sizeof(*doc))) == NULL) {
		cJSON_Delete(root);
		return -ENOMEM;
	}
	r = parse_root(root, content_type, doc, &err);
	cJSON_Delete(root);
	if (r < 0) {
		oci_doc_free(doc);
		if (r == -EBADMSG && ret_error != NULL) {
			free(*ret_error);
			*ret_error = TAKE_PTR(err);
		}
		return r;
	}
	*ret = doc;
	return 0;
}

/* 0: no match; higher is better. */
static int
platform_score(const struct oci_platform *have, const struct oci_platform *want)
{
	bool arm64 = strcmp(want->architecture, "arm64") == 0;

	if (strcmp(have->os, want->os) != 0 || strcmp(have->architecture, want->architecture) != 0)
		return 0;
	if (want->variant[0] != '\0')
		return strcmp(have->variant, want->variant) == 0 ||
		               (arm64 && strcmp(want->variant, "v8") == 0 &&
		                   have->variant[0] == '\0')
		           ? 3
		           : 0;
	if (have->variant[0] == '\0' || (arm64 && strcmp(have->variant, "v8") == 0))
		return 2;
	return 1;
}

static int
list_platforms(const struct oci_doc *doc, const struct oci_platform *want, char **ret_error)
{
	char list[512] = "";
	size_t used = 0;

	for (size_t i = 0; i < doc->n_manifests && used < sizeof(list) - 1; i++) {
		const struct oci_platform *p = &doc->manifests[i].platform;
		int n;

		if (!doc->manifests[i].has_platform)
			continue;
		n = snprintf(list + used, sizeof(list) - used, "%s%s/%s%s%s", used ? ", " : "",
		    p->os, p->architecture, p->variant[0] ? "/" : "", p->variant);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (ret_error != NULL) {
		free(*ret_error);
		if (asprintf(ret_error, "the image has no manifest for %s/%s%s%s (it has: %s)",
		        want->os, want->architecture, want->variant[0] ? "/" : "", want->variant,
		        list[0] ? list : "none with a platform") < 0)
			*ret_error = NULL;
	}
	return -ENOENT;
}

int
oci_doc_select(const struct oci_doc *doc, const struct oci_platform *want,
    const struct oci_descriptor **ret, char **ret_error)
{
	const struct oci_descriptor *best = NULL;
	int best_score = 0;

	if (doc->kind != OCI_DOC_INDEX)
		return -EINVAL;
	for (size_t i = 0; i < doc->n_manifests; i++) {
		const struct oci_descriptor *d = &doc->manifests[i];
		int s;

		if (!d->has_platform || strcmp(d->platform.os, "unknown") == 0)
			continue;
		s = platform_score(&d->platform, want);
		if (s > best_score) {
			best = d;
			best_score = s;
		}
	}
	if (best == NULL)
		return list_platforms(doc, want, ret_error);
	*ret = best;
	return 0;
}
