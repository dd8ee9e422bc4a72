/*
 * Manifest parsing: the four document types, platform selection, caps and
 * malformed descriptors.
 */
#include <stdlib.h>
#include <string.h>

#include "oci-manifest.h"
#include "test.h"

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DC "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define DD "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define DE "sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

static const char oci_manifest[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_OCI_MANIFEST "\","
    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" DA
    "\",\"size\":123},"
    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" DB
    "\",\"size\":4567890123},"
    "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"" DC
    "\",\"size\":0,\"annotations\":{\"x\":\"y\"}}]}";

static const char docker_manifest_no_mt[] =
    "{\"schemaVersion\":2,"
    "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"" DA
    "\",\"size\":5},"
    "\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"digest\":"
    "\"" DB "\",\"size\":7}]}";

static const char index_doc[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_OCI_INDEX "\",\"manifests\":["
    "{\"mediaType\":\"" OCI_MT_OCI_MANIFEST "\",\"digest\":\"" DA "\",\"size\":1,"
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}},"
    "{\"mediaType\":\"" OCI_MT_OCI_MANIFEST "\",\"digest\":\"" DB "\",\"size\":2,"
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
    "{\"mediaType\":\"" OCI_MT_OCI_MANIFEST "\",\"digest\":\"" DC "\",\"size\":3,"
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
    "{\"mediaType\":\"" OCI_MT_OCI_MANIFEST "\",\"digest\":\"" DD "\",\"size\":4,"
    "\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}},"
    "{\"mediaType\":\"" OCI_MT_OCI_MANIFEST "\",\"digest\":\"" DE "\",\"size\":5,"
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\",\"variant\":\"v3\"}}]}";

static struct oci_doc *
parse(const char *s, const char *ct)
{
	struct oci_doc *d = NULL;
	char *err = NULL;

	CHECK_EQ_INT(oci_doc_parse(s, strlen(s), ct, &d, &err), 0);
	if (err != NULL)
		fprintf(stderr, "  %s\n", err);
	free(err);
	return d;
}

static void
test_manifests(void)
{
	struct oci_doc *d = parse(oci_manifest, NULL);

	if (d != NULL) {
		CHECK_EQ_INT(d->kind, OCI_DOC_MANIFEST);
		CHECK_EQ_STR(d->config.digest, DA);
		CHECK_EQ_INT(d->config.size, 123);
		CHECK_EQ_INT(d->n_layers, 2);
		CHECK_EQ_STR(
		    d->layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
		CHECK(d->layers[0].size == 4567890123ULL);
		CHECK_EQ_STR(d->layers[1].digest, DC);
	}
	oci_doc_free(d);
	d = parse(docker_manifest_no_mt, OCI_MT_DOCKER_MANIFEST "; charset=utf-8");
	if (d != NULL) {
		CHECK_EQ_INT(d->kind, OCI_DOC_MANIFEST);
		CHECK_EQ_STR(d->media_type, OCI_MT_DOCKER_MANIFEST);
		CHECK_EQ_INT(d->n_layers, 1);
	}
	oci_doc_free(d);
	d = parse(docker_manifest_no_mt, "application/json"); /* by shape */
	CHECK(d != NULL && d->kind == OCI_DOC_MANIFEST);
	oci_doc_free(d);
}

static void
select_digest(const struct oci_doc *d, const char *platform, const char *want)
{
	const struct oci_descriptor *sel = NULL;
	struct oci_platform p;
	char *err = NULL;

	CHECK_EQ_INT(oci_platform_parse(platform, &p), 0);
	if (want == NULL) {
		CHECK_EQ_INT(oci_doc_select(d, &p, &sel, &err), -ENOENT);
		CHECK(err != NULL && strstr(err, "linux/amd64") != NULL);
	} else {
		CHECK_EQ_INT(oci_doc_select(d, &p, &sel, &err), 0);
		CHECK(sel != NULL && strcmp(sel->digest, want) == 0);
	}
	free(err);
}

static void
test_index(void)
{
	struct oci_doc *d = parse(index_doc, OCI_MT_DOCKER_LIST);

	if (d == NULL)
		return;
	CHECK_EQ_INT(d->kind, OCI_DOC_INDEX);
	CHECK_EQ_INT(d->n_manifests, 5);
	select_digest(d, "linux/amd64", DB);    /* no variant beats v3 */
	select_digest(d, "linux/x86_64", DB);   /* alias */
	select_digest(d, "linux/amd64/v3", DE); /* asked for */
	select_digest(d, "linux/arm64", DC);    /* v8 counts as none */
	select_digest(d, "linux/aarch64/v8", DC);
	select_digest(d, "linux/arm/v7", DA);
	select_digest(d, "linux/arm/v6", NULL);
	select_digest(d, "windows/amd64", NULL);
	select_digest(d, "unknown/unknown", NULL); /* attestations never match */
	oci_doc_free(d);
}

static void
test_platform_parse(void)
{
	struct oci_platform p;

	CHECK_EQ_INT(oci_platform_parse("linux/arm64/v8", &p), 0);
	CHECK_EQ_STR(p.variant, "v8");
	CHECK_EQ_INT(oci_platform_parse("linux", &p), -EBADMSG);
	CHECK_EQ_INT(oci_platform_parse("linux/", &p), -EBADMSG);
	CHECK_EQ_INT(oci_platform_parse("linux/amd64/", &p), -EBADMSG);
	CHECK_EQ_INT(oci_platform_parse("linux/arm/v7/x", &p), -EBADMSG);
	CHECK_EQ_INT(oci_platform_parse("Linux/amd64", &p), -EBADMSG);
	CHECK_EQ_INT(oci_platform_parse("/amd64", &p), -EBADMSG);
}

static void
check_bad(const char *s, const char *ct, const char *needle)
{
	struct oci_doc *d = NULL;
	char *err = NULL;

	CHECK_EQ_INT(oci_doc_parse(s, strlen(s), ct, &d, &err), -EBADMSG);
	CHECK(d == NULL);
	CHECK(err != NULL);
	if (err != NULL && needle != NULL && strstr(err, needle) == NULL) {
		fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err, needle);
		test_failures++;
	}
	free(err);
	oci_doc_free(d);
}

static void
test_bad(void)
{
	check_bad("", NULL, "empty");
	check_bad("[]", NULL, "object");
	check_bad("{", NULL, "JSON");
	check_bad("{\"schemaVersion\":1,\"layers\":[]}", NULL, "schemaVersion");
	check_bad("{\"schemaVersion\":2}", NULL, "neither");
	check_bad(
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest."
	    "v1+prettyjws\",\"layers\":[]}",
	    NULL, "not supported");
	check_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"c\",\"digest\":\"" DA
	          "\",\"size\":1},\"layers\":[]}",
	    NULL, "no layers");
	check_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"c\",\"digest\":\"sha256:AB\","
	          "\"size\":1},\"layers\":[{}]}",
	    NULL, "digest");
	check_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"c\",\"digest\":\"" DA
	          "\",\"size\":-1},\"layers\":[]}",
	    NULL, "size");
	check_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"c\",\"digest\":\"" DA
	          "\",\"size\":1.5},\"layers\":[]}",
	    NULL, "size");
	check_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"c\",\"digest\":\"" DA
	          "\",\"size\":1},\"layers\":[{\"mediaType\":\"l\",\"digest\":\"" DB
	          "\",\"size\":1e30}]}",
	    NULL, "size");
	check_bad("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"m\",\"digest\":\"" DA
	          "\",\"size\":1,\"platform\":{\"os\":\"linux\"}}]}",
	    NULL, "architecture");
	check_bad("{\"schemaVersion\":2,\"manifests\":{}}", NULL, "array");
}

static void
test_caps(void)
{
	size_t n = OCI_MANIFEST_MAX_LAYERS + 1, cap = 256 + n * 200;
	char *s = malloc(cap), *p = s;
	struct oci_doc *d = NULL;

	p += sprintf(p, "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"c\",\"digest\":\"" DA
	                "\",\"size\":1},\"layers\":[");
	for (size_t i = 0; i < n; i++)
		p += sprintf(
		    p, "%s{\"mediaType\":\"l\",\"digest\":\"" DB "\",\"size\":1}", i ? "," : "");
	strcpy(p, "]}");
	check_bad(s, NULL, "more than 256");
	free(s);
	/* larger than the cap: refused before parsing */
	s = calloc(1, OCI_MANIFEST_MAX_SIZE + 2);
	memset(s, ' ', OCI_MANIFEST_MAX_SIZE + 1);
	CHECK_EQ_INT(oci_doc_parse(s, OCI_MANIFEST_MAX_SIZE + 1, NULL, &d, NULL), -EBADMSG);
	free(s);
}

TEST_MAIN(TEST(test_manifests), TEST(test_index), TEST(test_platform_parse), TEST(test_bad),
    TEST(test_caps))
