/*
 * manifest.json to and from struct manifest, with a strict key-table walk
 * over the cJSON tree.
 */
#include "manifest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "text.h"
#include "util.h"

const char *const manifest_file_names[MANIFEST_N_IDS] = {
    [MANIFEST_KERNEL] = "kernel",
    [MANIFEST_INITRD] = "initrd",
    [MANIFEST_ROOTFS] = "rootfs.squashfs",
    [MANIFEST_EFI] = "boot.efi",
    [MANIFEST_ISO] = "boot.iso",
};

static const char *const kind_names[_MANIFEST_KIND_MAX] = {
    [MANIFEST_KIND_LINUX] = "linux",
    [MANIFEST_KIND_EFI] = "efi",
    [MANIFEST_KIND_ISO] = "iso",
};

static const char *const source_type_names[] = {
    [MANIFEST_SOURCE_DIR] = "dir",
    [MANIFEST_SOURCE_ISO] = "iso",
    [MANIFEST_SOURCE_OCI] = "oci",
    [MANIFEST_SOURCE_FILE] = "file",
    [MANIFEST_SOURCE_LEGACY] = "legacy",
};

#define MAX_KEYS 8

bool
manifest_string_valid(const char *s, size_t max)
{
	return text_valid(s, max);
}

const char *
manifest_source_type_name(enum manifest_source_type t)
{
	return (size_t)t < ELEMENTSOF(source_type_names) ? source_type_names[t] : "unknown";
}

const char *
manifest_kind_name(enum manifest_kind k)
{
	return (unsigned)k < _MANIFEST_KIND_MAX ? kind_names[k] : "unknown";
}

bool
manifest_kind_whole(enum manifest_kind k)
{
	return k == MANIFEST_KIND_EFI || k == MANIFEST_KIND_ISO;
}

enum manifest_file
manifest_kind_first(enum manifest_kind k)
{
	return k == MANIFEST_KIND_EFI   ? MANIFEST_EFI
	       : k == MANIFEST_KIND_ISO ? MANIFEST_ISO
	                                : MANIFEST_KERNEL;
}

enum manifest_file
manifest_kind_end(enum manifest_kind k)
{
	return manifest_kind_whole(k) ? (enum manifest_file)(manifest_kind_first(k) + 1)
	                              : MANIFEST_N_FILES;
}

bool
manifest_kind_has(enum manifest_kind k, enum manifest_file f)
{
	return f >= manifest_kind_first(k) && f < manifest_kind_end(k);
}

struct manifest *
manifest_new(void)
{
	return calloc(1, sizeof(struct manifest));
}

void
manifest_free(struct manifest *m)
{
	if (m == NULL)
		return;
	free(m->name);
	free(m->source);
	free(m->cmdline);
	free(m->origin);
	free(m);
}

static int
dup_str(const char *s, char **ret)
{
	if (s == NULL) {
		*ret = NULL;
		return 0;
	}
	*ret = strdup(s);
	return *ret != NULL ? 0 : -ENOMEM;
}

struct manifest *
manifest_dup(const struct manifest *m)
{
	struct manifest *c = manifest_new();

	if (c == NULL)
		return NULL;
	*c = *m;
	c->name = c->source = c->cmdline = c->origin = NULL;
	if (dup_str(m->name, &c->name) < 0 || dup_str(m->source, &c->source) < 0 ||
	    dup_str(m->cmdline, &c->cmdline) < 0 || dup_str(m->origin, &c->origin) < 0) {
		manifest_free(c);
		return NULL;
	}
	return c;
}

/* ---- parsing ---- */

static const char *
show_key(const char *k)
{
	return manifest_string_valid(k, 64) ? k : "(unprintable)";
}

/*
 * 'obj' must be an object whose keys are exactly 'keys' (n of them), each
 * once; ret_items[i] receives the value of keys[i].
 */
static int
object_items_opt(const cJSON *obj, const char *where, const char *const *keys, size_t n,
    size_t n_required, const cJSON **ret_items, char **err)
{
	const cJSON *c;

	if (!cJSON_IsObject(obj))
		return error_set(err, -EBADMSG, "%s is not an object", where);
	memset(ret_items, 0, n * sizeof(*ret_items));
	cJSON_ArrayForEach(c, obj)
	{
		size_t i;

		for (i = 0; i < n && strcmp(c->string, keys[i]) != 0; i++)
			;
		if (i == n)
			return error_set(
			    err, -EBADMSG, "%s: unknown key \"%s\"", where, show_key(c->string));
		if (ret_items[i] != NULL)
			return error_set(err, -EBADMSG, "%s: duplicate key \"%s\"", where, keys[i]);
		ret_items[i] = c;
	}
	for (size_t i = 0; i < n_required; i++)
		if (ret_items[i] == NULL)
			return error_set(err, -EBADMSG, "%s: missing key \"%s\"", where, keys[i]);
	return 0;
}

/* Every key required. */
static int
object_items(const cJSON *obj, const char *where, const char *const *keys, size_t n,
    const cJSON **ret_items, char **err)
{
	return object_items_opt(obj, where, keys, n, n, ret_items, err);
}

/* A string of at most 'max' bytes without control characters; null allowed if 'nullable'. */
static int
get_string(const cJSON *v, const char *where, size_t max, bool nullable, char **ret, char **err)
{
	if (nullable && cJSON_IsNull(v)) {
		*ret = NULL;
		return 0;
	}
	if (!cJSON_IsString(v))
		return error_set(
		    err, -EBADMSG, "%s is not a string%s", where, nullable ? " or null" : "");
	if (!manifest_string_valid(v->valuestring, max))
		return error_set(err, -EBADMSG,
		    "%s is longer than %zu bytes or has control characters", where, max);
	return dup_str(v->valuestring, ret);
}

static int
get_number(const cJSON *v, const char *where, uint64_t *ret, char **err)
{
	double d;

	if (!cJSON_IsNumber(v))
		return error_set(err, -EBADMSG, "%s is not a number", where);
	d = v->valuedouble;
	if (!(d >= 0 && d <= MANIFEST_MAX_NUMBER) || (double)(uint64_t)d != d)
		return error_set(err, -EBADMSG, "%s is not an integer between 0 and 2^53", where);
	*ret = (uint64_t)d;
	return 0;
}

static int
get_sha256(const cJSON *v, const char *where, char ret[MANIFEST_SHA256_HEX + 1], char **err)
{
	const char *s = cJSON_GetStringValue(v);

	if (s == NULL || strlen(s) != MANIFEST_SHA256_HEX ||
	    strspn(s, "0123456789abcdefABCDEF") != MANIFEST_SHA256_HEX)
		return error_set(
		    err, -EBADMSG, "%s is not a SHA-256 digest (64 hex digits)", where);
	for (size_t i = 0; i <= MANIFEST_SHA256_HEX; i++)
		ret[i] = (s[i] >= 'A' && s[i] <= 'F') ? (char)(s[i] - 'A' + 'a') : s[i];
	return 0;
}

static int
parse_source(const cJSON *v, struct manifest *m, char **err)
{
	static const char *const keys[] = {"type", "path"};
	static const char *const oci_keys[] = {"type", "ref"};
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(v, "type"), *items[2];
	const char *t = cJSON_GetStringValue(type);
	int r;

	if (!cJSON_IsObject(v))
		return error_set(err, -EBADMSG, "source is not an object");
	if (t != NULL && strcmp(t, "dir") == 0)
		m->source_type = MANIFEST_SOURCE_DIR;
	else if (t != NULL && strcmp(t, "iso") == 0)
		m->source_type = MANIFEST_SOURCE_ISO;
	else if (t != NULL && strcmp(t, "oci") == 0)
		m->source_type = MANIFEST_SOURCE_OCI;
	else if (t != NULL && strcmp(t, "file") == 0)
		m->source_type = MANIFEST_SOURCE_FILE;
	else
		return error_set(
		    err, -EBADMSG, "source.type is not \"dir\", \"iso\", \"oci\" or \"file\"");
	if ((m->source_type == MANIFEST_SOURCE_FILE) != manifest_kind_whole(m->kind))
		return error_set(
		    err, -EBADMSG, "source.type \"file\" goes with kind \"efi\" or \"iso\" only");
	if (m->source_type == MANIFEST_SOURCE_OCI)
		r = object_items(v, "source", oci_keys, 2, items, err);
	else
		r = object_items(v, "source", keys, 2, items, err);
	if (r < 0)
		return r;
	if ((r = get_string(items[1],
	         m->source_type == MANIFEST_SOURCE_OCI ? "source.ref" : "source.path",
	         MANIFEST_MAX_SOURCE, false, &m->source, err)) < 0)
		return r;
	if (m->source[0] == '\0')
		return error_set(err, -EBADMSG, "source is empty");
	return 0;
}

static int
parse_file(const cJSON *v, const char *name, struct manifest_file_info *f, char **err)
{
	static const char *const keys[] = {"size", "sha256"};
	const cJSON *items[2];
	char where[64];
	int r;

	snprintf(where, sizeof(where), "files.%s", name);
	if ((r = object_items(v, where, keys, 2, items, err)) < 0)
		return r;
	snprintf(where, sizeof(where), "files.%s.size", name);
	if ((r = get_number(items[0], where, &f->size, err)) < 0)
		return r;
	snprintf(where, sizeof(where), "files.%s.sha256", name);
	if ((r = get_sha256(items[1], where, f->sha256, err)) < 0)
		return r;
	f->has_sha256 = true;
	return 0;
}

/* The files of the manifest's kind, each once, and no others. */
static int
parse_files(const cJSON *v, struct manifest *m, char **err)
{
	const size_t first = manifest_kind_first(m->kind), end = manifest_kind_end(m->kind);
	const cJSON *items[MANIFEST_N_IDS];
	int r;

	if ((r = object_items(v, "files", manifest_file_names + first, end - first, items, err)) <
	    0)
		return r;
	for (size_t i = first; i < end; i++) {
		r = parse_file(items[i - first], manifest_file_names[i], &m->files[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* "kind": "efi" or "iso", optional ("linux" is the default and never written). */
static int
parse_kind(const cJSON *v, struct manifest *m, char **err)
{
	const char *s = cJSON_GetStringValue(v);

	m->kind = MANIFEST_KIND_LINUX;
	if (v == NULL)
		return 0;
	for (int k = 0; s != NULL && k < _MANIFEST_KIND_MAX; k++)
		if (strcmp(s, kind_names[k]) == 0) {
			m->kind = (enum manifest_kind)k;
			return 0;
		}
	return error_set(err, -EBADMSG, "kind is not \"linux\", \"efi\" or \"iso\"");
}

bool
manifest_origin_valid(const char *url)
{
	if (url == NULL || !manifest_string_valid(url, MANIFEST_MAX_SOURCE) ||
	    (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
	    strchr(url, ' ') != NULL)
		return false;
	return strstr(url, "{sha256}") != NULL || strstr(url, "{file}") != NULL;
}

int
manifest_origin_expand(
    const char *tmpl, const char *hex, enum manifest_file f, char *buf, size_t size)
{
	size_t n = 0;

	if (size == 0 || (size_t)f >= MANIFEST_N_IDS)
		return -EINVAL;
	while (*tmpl != '\0') {
		const char *put = NULL;
		size_t skip = 1, len;

		if (strncmp(tmpl, "{sha256}", 8) == 0)
			put = hex, skip = 8;
		else if (strncmp(tmpl, "{file}", 6) == 0)
			put = manifest_file_names[f], skip = 6;
		len = put != NULL ? strlen(put) : 1;
		if (n + len >= size)
			return -E2BIG;
		memcpy(buf + n, put != NULL ? put : tmpl, len);
		n += len, tmpl += skip;
	}
	buf[n] = '\0';
	return 0;
}

/* "origin": {"url": TEMPLATE, "boot": bool}, optional. */
static int
parse_origin(const cJSON *o, struct manifest *m, char **err)
{
	static const char *const keys[] = {"url", "boot"};
	const cJSON *items[ELEMENTSOF(keys)];
	int r;

	if (o == NULL || cJSON_IsNull(o))
		return 0;
	if ((r = object_items(o, "origin", keys, ELEMENTSOF(keys), items, err)) < 0 ||
	    (r = get_string(items[0], "origin.url", MANIFEST_MAX_SOURCE, false, &m->origin, err)) <
	        0)
		return r;
	if (!manifest_origin_valid(m->origin))
		return error_set(err, -EBADMSG,
		    "origin.url is not an http(s) URL with {sha256} or {file} in it");
	if (!cJSON_IsBool(items[1]))
		return error_set(err, -EBADMSG, "origin.boot is not a boolean");
	m->origin_boot = cJSON_IsTrue(items[1]);
	return 0;
}

static int
parse_root(const cJSON *root, struct manifest *m, char **err)
{
	static const char *const keys[] = {
	    "name", "created", "source", "cmdline", "files", "origin", "kind"};
	const cJSON *items[ELEMENTSOF(keys)];
	uint64_t created;
	int r;

	if ((r = object_items_opt(root, "the manifest", keys, ELEMENTSOF(keys), 5, items, err)) < 0)
		return r;
	if ((r = parse_origin(items[5], m, err)) < 0 || (r = parse_kind(items[6], m, err)) < 0)
		return r;
	if (manifest_kind_whole(m->kind) && m->origin_boot)
		return error_set(err, -EBADMSG,
		    "an image of kind \"%s\" boots from netbootd: no origin.boot",
		    manifest_kind_name(m->kind));
	if ((r = get_string(items[0], "name", MANIFEST_MAX_NAME, false, &m->name, err)) < 0)
		return r;
	if (!name_valid(m->name))
		return error_set(err, -EBADMSG, "name is not a valid image name");
	if ((r = get_number(items[1], "created", &created, err)) < 0)
		return r;
	m->created = (int64_t)created;
	if ((r = parse_source(items[2], m, err)) < 0)
		return r;
	if ((r = get_string(items[3], "cmdline", MANIFEST_MAX_CMDLINE, true, &m->cmdline, err)) < 0)
		return r;
	if (manifest_kind_whole(m->kind) && m->cmdline != NULL)
		return error_set(err, -EBADMSG, "an image of kind \"%s\" has no cmdline",
		    manifest_kind_name(m->kind));
	return parse_files(items[4], m, err);
}

static bool
only_space(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return false;
	return true;
}

int
manifest_parse(const char *buf, size_t len, struct manifest **ret, char **ret_error)
{
	_cleanup_free_ char *err = NULL;
	const char *end = NULL;
	struct manifest *m;
	cJSON *root;
	int r;

	if (len > MANIFEST_MAX_SIZE)
		return error_set(
		    ret_error, -EBADMSG, "the manifest is larger than %d bytes", MANIFEST_MAX_SIZE);
	if (len == 0 || memchr(buf, '\0', len) != NULL)
		return error_set(ret_error, -EBADMSG, "the manifest is empty or has NUL bytes");
	root = cJSON_ParseWithLengthOpts(buf, len, &end, false);
	if (root == NULL || end == NULL || !only_space(end, buf + len)) {
		cJSON_Delete(root);
		return error_set(ret_error, -EBADMSG, "the manifest is not valid JSON");
	}
	if ((m = manifest_new()) == NULL) {
		cJSON_Delete(root);
		return -ENOMEM;
	}
	r = parse_root(root, m, &err);
	cJSON_Delete(root);
	if (r < 0) {
		manifest_free(m);
		if (r == -EBADMSG && ret_error != NULL)
			*ret_error = TAKE_PTR(err);
		return r;
	}
	*ret = m;
	return 0;
}

/* ---- serializing ---- */

/*
 * cJSON prints doubles of 1e15 and more with 15 significant digits only, so
 * those go in as raw integer text; smaller ones stay ordinary numbers.
 */
static bool
add_uint(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];

	if (v < 1000000000000000ULL)
		return cJSON_AddNumberToObject(o, key, (double)v) != NULL;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return cJSON_AddRawToObject(o, key, buf) != NULL;
}

static cJSON *
file_to_json(const struct manifest_file_info *f)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || !add_uint(o, "size", f->size) ||
	    (f->has_sha256 ? cJSON_AddStringToObject(o, "sha256", f->sha256)
	                   : cJSON_AddNullToObject(o, "sha256")) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
source_to_json(const struct manifest *m)
{
	cJSON *o = cJSON_CreateObject();
	const char *key = m->source_type == MANIFEST_SOURCE_OCI ? "ref" : "path";

	if (o == NULL ||
	    cJSON_AddStringToObject(o, "type", manifest_source_type_name(m->source_type)) == NULL ||
	    (m->source != NULL && cJSON_AddStringToObject(o, key, m->source) == NULL)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
files_to_json(const struct manifest *m)
{
	cJSON *o = cJSON_CreateObject(), *f;

	for (size_t i = manifest_kind_first(m->kind); o != NULL && i < manifest_kind_end(m->kind);
	     i++) {
		if ((f = file_to_json(&m->files[i])) == NULL ||
		    !cJSON_AddItemToObject(o, manifest_file_names[i], f)) {
			cJSON_Delete(f);
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

/* Add "origin" to o when m has one; false: out of memory. */
static bool
origin_to_json(cJSON *o, const struct manifest *m)
{
	cJSON *v;

	if (m->origin == NULL)
		return true;
	return (v = cJSON_AddObjectToObject(o, "origin")) != NULL &&
	       cJSON_AddStringToObject(v, "url", m->origin) != NULL &&
	       cJSON_AddBoolToObject(v, "boot", m->origin_boot) != NULL;
}

cJSON *
manifest_to_json(const struct manifest *m)
{
	cJSON *o = cJSON_CreateObject(), *src = NULL, *files = NULL;

	if (o == NULL || cJSON_AddStringToObject(o, "name", m->name ? m->name : "") == NULL ||
	    !add_uint(o, "created", m->created > 0 ? (uint64_t)m->created : 0) ||
	    (m->kind != MANIFEST_KIND_LINUX &&
	        cJSON_AddStringToObject(o, "kind", manifest_kind_name(m->kind)) == NULL))
		goto fail;
	if ((src = source_to_json(m)) == NULL || !cJSON_AddItemToObject(o, "source", src))
		goto fail;
	src = NULL;
	if ((m->cmdline != NULL ? cJSON_AddStringToObject(o, "cmdline", m->cmdline)
	                        : cJSON_AddNullToObject(o, "cmdline")) == NULL)
		goto fail;
	if ((files = files_to_json(m)) == NULL || !cJSON_AddItemToObject(o, "files", files))
		goto fail;
	files = NULL;
	if (!origin_to_json(o, m))
		goto fail;
	return o;
fail:
	cJSON_Delete(src);
	cJSON_Delete(files);
	cJSON_Delete(o);
	return NULL;
}

int
manifest_format(const struct manifest *m, char **ret)
{
	cJSON *o = manifest_to_json(m);
	char *s, *out;

	if (o == NULL)
		return -ENOMEM;
	s = cJSON_Print(o);
	cJSON_Delete(o);
	if (s == NULL)
		return -ENOMEM;
	if (asprintf(&out, "%s\n", s) < 0) {
		cJSON_free(s);
		return -ENOMEM;
	}
	cJSON_free(s);
	*ret = out;
	return 0;
}
