#include <stdio.h>

#include "http-path.h"
#include "test.h"

static int
route(const char *p, struct http_route *r)
{
	return http_route_parse(p, strlen(p), r);
}

static void
test_routes(void)
{
	const uint8_t mac[MAC_LEN] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	struct http_route r;

	CHECK_EQ_INT(route("/healthz", &r), 0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_HEALTHZ);
	CHECK_EQ_INT(route("/healthz?x=1", &r), 0);
	CHECK_EQ_INT(route("/boot/ipxe.efi", &r), 0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_BOOT);
	CHECK_EQ_STR(r.name, "ipxe.efi");
	CHECK_EQ_INT(route("/ipxe/52-54-00-12-34-56", &r), 0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_IPXE);
	CHECK_EQ_MEM(r.mac, mac, MAC_LEN);
	CHECK_EQ_INT(route("/ipxe/52:54:00:12:34:56#frag", &r), 0);
	CHECK_EQ_INT(route("/config/52-54-00-12-34-56", &r), 0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_CONFIG);
	CHECK_EQ_INT(route("/config/52%2D54-00-12-34-56", &r), 0); /* escapes are decoded */
	CHECK_EQ_INT(route("/images/kairos-v3.1_x/rootfs.squashfs?a=/../b", &r), 0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_IMAGE);
	CHECK_EQ_STR(r.name, "kairos-v3.1_x");
	CHECK_EQ_STR(r.file, "rootfs.squashfs");
	CHECK_EQ_INT(route("/images/a/kernel", &r), 0);
	CHECK_EQ_STR(r.file, "kernel");
	CHECK_EQ_INT(route("/images/a/initrd", &r), 0);
	CHECK_EQ_STR(r.file, "initrd");
	CHECK_EQ_INT(route("/images/uki/boot.efi", &r), 0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_IMAGE);
	CHECK_EQ_STR(r.file, "boot.efi");
}

/* The status page (daemon/ui.h). */
static void
test_ui(void)
{
	struct http_route r;

	CHECK_EQ_INT(route("/", &r), 0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_UI_REDIRECT);
	CHECK_EQ_INT(route("/?x=1#y", &r), 0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_UI_REDIRECT);
	CHECK_EQ_INT(route("/ui", &r), 0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_UI_REDIRECT);
	CHECK_EQ_INT(route("/ui/", &r), 0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_UI_FILE);
	CHECK_EQ_STR(r.name, "index.html");
	CHECK_EQ_INT(route("/ui/?v=2", &r), 0);
	CHECK_EQ_STR(r.name, "index.html");
	CHECK_EQ_INT(route("/ui/ui.css", &r), 0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_UI_FILE);
	CHECK_EQ_STR(r.name, "ui.css");
	CHECK_EQ_INT(route("/ui/state", &r), 0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_UI_STATE);
	CHECK_EQ_INT(route("/ui/events?last=3", &r), 0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_UI_EVENTS);
	CHECK_EQ_INT(route("/ui/%65vents", &r), 0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_UI_EVENTS);
}

static void
test_not_found(void)
{
	static const char *const paths[] = {"/foo", "/ui/a/b", "/ui/state/x", "/healthz/x",
	    "/images/a/vmlinuz", "/images/a", "/ipxe", "/boot", "/images/a/kernel/x",
	    "/a/b/c/d/e/f", "/Healthz"};
	struct http_route r;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int k = route(paths[i], &r);

		if (k != -ENOENT)
			fprintf(stderr, "path \"%s\" -> %d\n", paths[i], k);
		CHECK_EQ_INT(k, -ENOENT);
	}
}

static void
test_bad(void)
{
	static const char *const paths[] = {"", "healthz", "//healthz", "/healthz/",
	    "/images/../kernel", "/images/%2e%2e/kernel", "/images/%2E%2e/kernel",
	    "/images/./kernel", "/images/a%2fb/kernel", "/images/a%2Fb/kernel",
	    "/images/.hidden/kernel", "/images/a%00/kernel", "/images/a%/kernel",
	    "/images/a%4/kernel", "/images/a%zz/kernel", "/images/a b/kernel",
	    "/images/a\\b/kernel", "/images//kernel", "/ipxe/52-54-00-12-34",
	    "/ipxe/../../etc/passwd", "/config/zz-54-00-12-34-56", "/boot/../x", "/boot/a%0ab",
	    "/%2e%2e/%2e%2e/etc/passwd", "/images/a\x01/kernel", "/ui//", "//", "/ui/state/",
	    "/ui/a/", "/ui/%2e%2e", "/ui/.hidden", "/ui/a%2fb"};
	struct http_route r;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int k = route(paths[i], &r);

		if (k != -EBADMSG)
			fprintf(stderr, "path \"%s\" -> %d\n", paths[i], k);
		CHECK_EQ_INT(k, -EBADMSG);
	}
}

static void
test_lengths(void)
{
	char name[HTTP_NAME_MAX + 2], path[HTTP_PATH_MAX + 64];
	struct http_route r;

	memset(name, 'a', sizeof(name));
	name[HTTP_NAME_MAX] = '\0';
	snprintf(path, sizeof(path), "/images/%s/kernel", name);
	CHECK_EQ_INT(route(path, &r), 0);
	name[HTTP_NAME_MAX] = 'a';
	name[HTTP_NAME_MAX + 1] = '\0';
	snprintf(path, sizeof(path), "/images/%s/kernel", name);
	CHECK_EQ_INT(route(path, &r), -EBADMSG);
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[HTTP_PATH_MAX + 1] = '\0';
	CHECK_EQ_INT(route(path, &r), -EBADMSG);
	/* Not NUL-terminated: stops at len. */
	CHECK_EQ_INT(http_route_parse("/healthzXYZ", 8, &r), 0);
}

static void
test_name_valid(void)
{
	CHECK(name_valid("a"));
	CHECK(name_valid("Kairos_1.2-x"));
	CHECK(!name_valid(""));
	CHECK(!name_valid(".a"));
	CHECK(!name_valid(".."));
	CHECK(!name_valid("a/b"));
	CHECK(!name_valid("a b"));
	CHECK(!name_valid("ä"));
}

static void
test_query(void)
{
	struct http_route r;
	char long_value[64];

	CHECK_EQ_INT(route("/ipxe/52-54-00-12-34-56", &r), 0);
	CHECK_EQ_STR(r.arch, "");
	CHECK_EQ_STR(r.uuid, "");
	CHECK_EQ_INT(
	    route(
	        "/ipxe/52-54-00-12-34-56?arch=efi-x86_64&uuid=10111213-1415-1617-1819-1a1b1c1d1e1f",
	        &r),
	    0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_IPXE);
	CHECK_EQ_STR(r.arch, "efi-x86_64");
	CHECK_EQ_STR(r.uuid, "10111213-1415-1617-1819-1a1b1c1d1e1f");
	/* iPXE's own variables, percent-encoding, unknown and empty parameters, a fragment. */
	CHECK_EQ_INT(
	    route("/config/52:54:00:12:34:56?x=1&&buildarch=x86%5F64&platform=efi&y#z", &r), 0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_CONFIG);
	CHECK_EQ_STR(r.buildarch, "x86_64");
	CHECK_EQ_STR(r.platform, "efi");
	CHECK_EQ_STR(r.arch, "");
	CHECK_EQ_INT(route("/ipxe/52-54-00-12-34-56?arch=", &r), 0);
	CHECK_EQ_STR(r.arch, "");
	/* Malformed: bad escapes, control characters, overlong values. */
	CHECK_EQ_INT(route("/ipxe/52-54-00-12-34-56?arch=%zz", &r), -EBADMSG);
	CHECK_EQ_INT(route("/ipxe/52-54-00-12-34-56?uuid=a%0Ab", &r), -EBADMSG);
	memset(long_value, 'a', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	char target[128];
	snprintf(target, sizeof(target), "/ipxe/52-54-00-12-34-56?arch=%s", long_value);
	CHECK_EQ_INT(route(target, &r), -EBADMSG);
	/* Other routes ignore their query strings, whatever they hold. */
	CHECK_EQ_INT(route("/images/k/kernel?arch=%zz", &r), 0);
}

static void
test_blobs(void)
{
	static const char hex[] =
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	static const char *const bad[] = {"/blobs/sha256:", "/blobs/sha256:0123",
	    "/blobs/sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "/blobs/SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "/blobs/sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
	    "/blobs/sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
	    "/blobs/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "/blobs/sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde%00",
	    "/blobs/..", "/blobs/"};
	struct http_route r;
	char path[160];

	snprintf(path, sizeof(path), "/blobs/sha256:%s", hex);
	CHECK_EQ_INT(route(path, &r), 0);
	CHECK_EQ_INT(r.kind, HTTP_ROUTE_BLOB);
	CHECK_EQ_STR(r.sha256, hex);
	CHECK_EQ_INT(
	    route("/blobs/sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789"
	          "abcdef?x#y",
	        &r),
	    0);
	CHECK_EQ_STR(r.sha256, hex); /* stored lower-case */
	CHECK_EQ_INT(
	    route("/blobs/sha256%3A0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
	          "abcdef",
	        &r),
	    0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int k = route(bad[i], &r);

		if (k != -EBADMSG)
			fprintf(stderr, "path \"%s\" -> %d\n", bad[i], k);
		CHECK_EQ_INT(k, -EBADMSG);
	}
	CHECK_EQ_INT(route("/blobs", &r), -ENOENT);
	snprintf(path, sizeof(path), "/blobs/sha256:%s/x", hex);
	CHECK_EQ_INT(route(path, &r), -ENOENT);
}

TEST_MAIN(TEST(test_routes), TEST(test_ui), TEST(test_blobs), TEST(test_query),
    TEST(test_not_found), TEST(test_bad), TEST(test_lengths), TEST(test_name_valid))
