#include "http-path.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "io.h"

/* One decoded segment: at most HTTP_SEGMENT_MAX bytes plus room to detect overflow. */
struct segment {
	char s[HTTP_SEGMENT_MAX + 2];
	size_t len;
};

/* Read one (possibly percent-encoded) byte of a segment. */
static int
read_pchar(struct reader *r, uint8_t *ret)
{
	uint8_t c, hi, lo;

	if (read_u8(r, &c) < 0)
		return -ENOBUFS;
	if (c != '%') {
		*ret = c;
		return 0;
	}
	if (read_u8(r, &hi) < 0 || read_u8(r, &lo) < 0 || io_hex_value(hi) < 0 ||
	    io_hex_value(lo) < 0)
		return -EBADMSG;
	*ret = (uint8_t)(io_hex_value(hi) << 4 | io_hex_value(lo));
	return 0;
}

/* Decode the segment up to the next raw '/' (or the end).  Refuses NUL, '/', controls. */
static int
read_segment(struct reader *r, struct segment *ret)
{
	struct segment seg = {.len = 0};

	while (r->left > 0 && r->p[0] != '/') {
		uint8_t c;

		if (read_pchar(r, &c) < 0)
			return -EBADMSG;
		if (c == '\0' || c == '/' || c < ' ' || c >= 0x7f)
			return -EBADMSG;
		if (seg.len > HTTP_SEGMENT_MAX)
			return -EBADMSG;
		seg.s[seg.len++] = (char)c;
	}
	seg.s[seg.len] = '\0';
	if (seg.len == 0 || strcmp(seg.s, ".") == 0 || strcmp(seg.s, "..") == 0)
		return -EBADMSG;
	*ret = seg;
	return 0;
}

/* Split "/a/b/c" into decoded segments.  The path ends at '?' or '#'. */
static int
split_path(const char *target, size_t len, struct segment segs[HTTP_SEGMENTS_MAX], size_t *ret_n,
    bool *ret_trailing)
{
	const char *end = memchr(target, '?', len);
	struct reader r;
	size_t n = 0;

	if (end != NULL)
		len = (size_t)(end - target);
	if ((end = memchr(target, '#', len)) != NULL)
		len = (size_t)(end - target);
	r = reader_init(target, len);
	if (len > HTTP_PATH_MAX || len == 0 || target[0] != '/')
		return -EBADMSG;
	*ret_trailing = len > 1 && target[len - 1] == '/';
	if (*ret_trailing)
		r.left--; /* "/ui/": the last segment is "ui" */
	while (len > 1 && r.left > 0) {
		(void)read_skip(&r, 1); /* the '/' */
		if (n == HTTP_SEGMENTS_MAX)
			return -ENOENT;
		if (read_segment(&r, &segs[n]) < 0)
			return -EBADMSG;
		n++;
	}
	*ret_n = n;
	return 0;
}

/* The status page's paths (daemon/ui.h). */
static int
route_ui(const struct segment *segs, size_t n, bool trailing, struct http_route *r)
{
	if (n == 0 || (n == 1 && !trailing)) {
		r->kind = HTTP_ROUTE_UI_REDIRECT;
		return 0;
	}
	if (trailing && n != 1)
		return -EBADMSG;
	if (trailing) {
		r->kind = HTTP_ROUTE_UI_FILE;
		strcpy(r->name, "index.html");
		return 0;
	}
	if (n != 2)
		return -ENOENT;
	if (strcmp(segs[1].s, "state") == 0)
		r->kind = HTTP_ROUTE_UI_STATE;
	else if (strcmp(segs[1].s, "events") == 0)
		r->kind = HTTP_ROUTE_UI_EVENTS;
	else if (name_valid(segs[1].s)) {
		r->kind = HTTP_ROUTE_UI_FILE;
		memcpy(r->name, segs[1].s, segs[1].len + 1);
	} else
		return -EBADMSG;
	return 0;
}

static const char *const image_files[] = {
    "kernel", "initrd", "rootfs.squashfs", "boot.efi", "boot.iso"};

static int
route_image(const struct segment *segs, struct http_route *r)
{
	if (!name_valid(segs[1].s))
		return -EBADMSG;
	for (size_t i = 0; i < sizeof(image_files) / sizeof(image_files[0]); i++) {
		if (strcmp(segs[2].s, image_files[i]) == 0) {
			r->kind = HTTP_ROUTE_IMAGE;
			r->file = image_files[i];
			memcpy(r->name, segs[1].s, segs[1].len + 1);
			return 0;
		}
	}
	return -ENOENT;
}

/* "sha256:<64 hex>", the digest stored lower-case; anything else is malformed. */
static int
route_blob(const struct segment *seg, struct http_route *r)
{
	static const char prefix[] = "sha256:";
	const size_t plen = sizeof(prefix) - 1;

	if (seg->len != plen + HTTP_SHA256_HEX || memcmp(seg->s, prefix, plen) != 0)
		return -EBADMSG;
	for (size_t i = 0; i < HTTP_SHA256_HEX; i++) {
		int v = io_hex_value(seg->s[plen + i]);

		if (v < 0)
			return -EBADMSG;
		r->sha256[i] = "0123456789abcdef"[v];
	}
	r->sha256[HTTP_SHA256_HEX] = '\0';
	r->kind = HTTP_ROUTE_BLOB;
	return 0;
}

/* /report/<mac>/<token>/<state> */
static int
route_report(const struct segment *segs, struct http_route *r)
{
	static const char *const states[] = {"installing", "installed", "failed"};

	if (mac_parse(segs[1].s, r->mac) < 0 || segs[2].len != HTTP_TOKEN_LEN)
		return -EBADMSG;
	for (size_t i = 0; i < HTTP_TOKEN_LEN; i++)
		if (!((segs[2].s[i] >= '0' && segs[2].s[i] <= '9') ||
		        (segs[2].s[i] >= 'a' && segs[2].s[i] <= 'f')))
			return -EBADMSG;
	memcpy(r->token, segs[2].s, HTTP_TOKEN_LEN + 1);
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(segs[3].s, states[i]) == 0) {
			memcpy(r->state, states[i], strlen(states[i]) + 1);
			r->kind = HTTP_ROUTE_REPORT;
			return 0;
		}
	return -ENOENT;
}

/* /loaders/<arch>/<file> and GRUB's /grub/grub.cfg, /grub/netbootd/<arch>/<mac>: the path kept. */
static int
route_grub(const struct segment *segs, size_t n, struct http_route *r)
{
	uint8_t mac[MAC_LEN];
	int k;

	if (strcmp(segs[0].s, "loaders") == 0) {
		if (n != 3 ||
		    (strcmp(segs[1].s, "x86_64-efi") != 0 && strcmp(segs[1].s, "arm64-efi") != 0))
			return -ENOENT;
		if (!name_valid(segs[2].s))
			return -EBADMSG;
		r->kind = HTTP_ROUTE_LOADER;
		k = snprintf(r->path, sizeof(r->path), "%s/%s", segs[1].s, segs[2].s);
	} else if (n == 2 && strcmp(segs[1].s, "grub.cfg") == 0) {
		r->kind = HTTP_ROUTE_GRUB;
		k = snprintf(r->path, sizeof(r->path), "grub/grub.cfg");
	} else if (n == 4 && strcmp(segs[1].s, "netbootd") == 0) {
		if (mac_parse(segs[3].s, mac) < 0)
			return -EBADMSG;
		r->kind = HTTP_ROUTE_GRUB;
		k = snprintf(r->path, sizeof(r->path), "grub/netbootd/%s/%s", segs[2].s, segs[3].s);
	} else
		return -ENOENT;
	return k > 0 && (size_t)k < sizeof(r->path) ? 0 : -EBADMSG;
}

static int
route_match(const struct segment *segs, size_t n, bool trailing, struct http_route *r)
{
	const char *top = n > 0 ? segs[0].s : "";

	if (n == 0 || strcmp(top, "ui") == 0)
		return route_ui(segs, n, trailing, r);
	if (trailing)
		return -EBADMSG;

	if (n == 1 && strcmp(top, "healthz") == 0) {
		r->kind = HTTP_ROUTE_HEALTHZ;
		return 0;
	}
	if (n == 2 && strcmp(top, "boot") == 0) {
		if (!name_valid(segs[1].s))
			return -EBADMSG;
		r->kind = HTTP_ROUTE_BOOT;
		memcpy(r->name, segs[1].s, segs[1].len + 1);
		return 0;
	}
	if (n == 2 && (strcmp(top, "ipxe") == 0 || strcmp(top, "config") == 0)) {
		if (mac_parse(segs[1].s, r->mac) < 0)
			return -EBADMSG;
		r->kind = top[0] == 'i' ? HTTP_ROUTE_IPXE : HTTP_ROUTE_CONFIG;
		return 0;
	}
	if (n == 3 && strcmp(top, "images") == 0)
		return route_image(segs, r);
	if (n == 2 && strcmp(top, "blobs") == 0)
		return route_blob(&segs[1], r);
	if (n == 4 && strcmp(top, "report") == 0)
		return route_report(segs, r);
	if (strcmp(top, "loaders") == 0 || strcmp(top, "grub") == 0)
		return route_grub(segs, n, r);
	return -ENOENT;
}

/* Decode one query value (up to '&', '#' or the end) into buf; -EBADMSG. */
static int
read_value(struct reader *r, char buf[HTTP_QUERY_VALUE_MAX + 1])
{
	size_t n = 0;

	while (r->left > 0 && r->p[0] != '&' && r->p[0] != '#') {
		uint8_t c;

		if (read_pchar(r, &c) < 0 || c < ' ' || c >= 0x7f || n == HTTP_QUERY_VALUE_MAX)
			return -EBADMSG;
		buf[n++] = c == '+' ? ' ' : (char)c;
	}
	buf[n] = '\0';
	return 0;
}

/* The slot of a known parameter named by the next bytes ("arch="), or NULL (skipped). */
static char *
query_slot(struct reader *r, struct http_route *rt)
{
	static const struct {
		const char *name;
		size_t offset;
	} params[] = {
	    {"arch=", offsetof(struct http_route, arch)},
	    {"uuid=", offsetof(struct http_route, uuid)},
	    {"buildarch=", offsetof(struct http_route, buildarch)},
	    {"platform=", offsetof(struct http_route, platform)},
	};

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		size_t n = strlen(params[i].name);

		if (r->left >= n && memcmp(r->p, params[i].name, n) == 0) {
			(void)read_skip(r, n);
			return (char *)rt + params[i].offset;
		}
	}
	return NULL;
}

/* The parameters of /ipxe/ and /config/ after the '?'. */
static int
parse_query(const char *target, size_t len, struct http_route *rt)
{
	const char *q = memchr(target, '?', len);
	struct reader r;

	if (q == NULL)
		return 0;
	r = reader_init(q + 1, len - (size_t)(q + 1 - target));
	while (r.left > 0 && r.p[0] != '#') {
		char *slot = query_slot(&r, rt);

		if (slot == NULL) { /* an unknown parameter: to the next '&' */
			while (r.left > 0 && r.p[0] != '&' && r.p[0] != '#')
				(void)read_skip(&r, 1);
		} else if (read_value(&r, slot) < 0)
			return -EBADMSG;
		if (r.left > 0 && r.p[0] == '&')
			(void)read_skip(&r, 1);
	}
	return 0;
}

int
http_route_parse(const char *target, size_t len, struct http_route *ret)
{
	struct segment segs[HTTP_SEGMENTS_MAX];
	struct http_route r = {0};
	bool trailing = false;
	size_t n = 0;
	int k;

	k = split_path(target, len, segs, &n, &trailing);
	if (k < 0)
		return k;
	k = route_match(segs, n, trailing, &r);
	if (k == 0 && (r.kind == HTTP_ROUTE_IPXE || r.kind == HTTP_ROUTE_CONFIG))
		k = parse_query(target, len, &r);
	if (k < 0)
		return k;
	*ret = r;
	return 0;
}
