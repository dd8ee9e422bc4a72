/*
 * Image references: Docker Hub normalisation, registries with ports, tags,
 * digests, and the refusals.
 */
#include <stdlib.h>
#include <string.h>

#include "oci-ref.h"
#include "test.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
check_ref(const char *s, const char *reg, const char *repo, const char *tag, const char *digest)
{
	struct oci_ref *r = NULL;
	char *err = NULL, *text = NULL;
	struct oci_ref *back = NULL;

	CHECK_EQ_INT(oci_ref_parse(s, &r, &err), 0);
	if (r == NULL) {
		fprintf(stderr, "  %s: %s\n", s, err ? err : "?");
		free(err);
		return;
	}
	CHECK_EQ_STR(r->registry, reg);
	CHECK_EQ_STR(r->repository, repo);
	if (tag == NULL)
		CHECK(r->tag == NULL);
	else
		CHECK_EQ_STR(r->tag, tag);
	if (digest == NULL)
		CHECK(r->digest == NULL);
	else
		CHECK_EQ_STR(r->digest, digest);
	CHECK_EQ_STR(oci_ref_reference(r), digest ? digest : tag);
	/* the canonical form parses back to the same */
	CHECK_EQ_INT(oci_ref_format(r, &text), 0);
	CHECK_EQ_INT(oci_ref_parse(text, &back, NULL), 0);
	if (back != NULL) {
		CHECK_EQ_STR(back->registry, reg);
		CHECK_EQ_STR(back->repository, repo);
	}
	oci_ref_free(back);
	free(text);
	oci_ref_free(r);
}

static void
test_docker_hub(void)
{
	check_ref("ubuntu", "registry-1.docker.io", "library/ubuntu", "latest", NULL);
	check_ref("x:tag", "registry-1.docker.io", "library/x", "tag", NULL);
	check_ref("docker.io/library/x", "registry-1.docker.io", "library/x", "latest", NULL);
	check_ref("docker.io/x", "registry-1.docker.io", "library/x", "latest", NULL);
	check_ref("index.docker.io/user/app:1.0", "registry-1.docker.io", "user/app", "1.0", NULL);
	check_ref("user/app", "registry-1.docker.io", "user/app", "latest", NULL);
}

static void
test_registries(void)
{
	check_ref("quay.io/kairos/ubuntu:24.04-standard-amd64-generic-v3.7.2-k3sv1.35.0-k3s3",
	    "quay.io", "kairos/ubuntu", "24.04-standard-amd64-generic-v3.7.2-k3sv1.35.0-k3s3",
	    NULL);
	check_ref("registry:5000/ns/x@sha256:" D64, "registry:5000", "ns/x", NULL, "sha256:" D64);
	check_ref(
	    "127.0.0.1:5000/ns/x:t@sha256:" D64, "127.0.0.1:5000", "ns/x", "t", "sha256:" D64);
	check_ref("localhost/x", "localhost", "x", "latest", NULL);
	check_ref("ghcr.io/a/b/c-d_e.f__g", "ghcr.io", "a/b/c-d_e.f__g", "latest", NULL);
	check_ref("x@sha256:" D64, "registry-1.docker.io", "library/x", NULL, "sha256:" D64);
	check_ref("[::1]:5000/ns/x:t", "[::1]:5000", "ns/x", "t", NULL);
	check_ref("[::1]/x", "[::1]", "x", "latest", NULL);
	check_ref("[fd00::5]:443/x@sha256:" D64, "[fd00::5]:443", "x", NULL, "sha256:" D64);
	check_ref("127.0.0.1:5000/x", "127.0.0.1:5000", "x", "latest", NULL);
}

/* The name without the digest, to pin with the manifest's: never "@X@X". */
static void
test_format_name(void)
{
	static const char *const cases[][2] = {
	    {"reg.io/ns/x@sha256:" D64, "reg.io/ns/x"},
	    {"reg.io/ns/x:t@sha256:" D64, "reg.io/ns/x:t"},
	    {"reg.io/ns/x:t", "reg.io/ns/x:t"},
	    {"ubuntu", "registry-1.docker.io/library/ubuntu:latest"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct oci_ref *r = NULL;
		char *text = NULL;

		CHECK_EQ_INT(oci_ref_parse(cases[i][0], &r, NULL), 0);
		if (r == NULL)
			continue;
		CHECK_EQ_INT(oci_ref_format_name(r, &text), 0);
		CHECK_EQ_STR(text, cases[i][1]);
		free(text);
		oci_ref_free(r);
	}
}

static void
test_loopback(void)
{
	static const char *const yes[] = {"localhost", "localhost:5000", "LocalHost:1", "127.0.0.1",
	    "127.0.0.1:5000", "127.1.2.3:80", "127.255.255.255", "[::1]", "[::1]:5000",
	    "[0:0:0:0:0:0:0:1]:5000"};
	static const char *const no[] = {"localhost.example.com", "localhostx:5000", "128.0.0.1",
	    "10.0.0.1:5000", "126.255.255.255", "127.0.0", "127.0.0.1.nip.io", "[::2]:5000",
	    "[::ffff:10.0.0.1]", "[::1", "[]:5000", "quay.io", "registry-1.docker.io", ""};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!oci_registry_loopback(yes[i]))
			fprintf(stderr, "  \"%s\" is loopback\n", yes[i]);
		CHECK(oci_registry_loopback(yes[i]));
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		if (oci_registry_loopback(no[i]))
			fprintf(stderr, "  \"%s\" is not loopback\n", no[i]);
		CHECK(!oci_registry_loopback(no[i]));
	}
}

static void
check_bad(const char *s)
{
	struct oci_ref *r = NULL;
	char *err = NULL;

	CHECK_EQ_INT(oci_ref_parse(s, &r, &err), -EBADMSG);
	CHECK(r == NULL);
	CHECK(err != NULL);
	if (r != NULL)
		fprintf(stderr, "  accepted: \"%s\"\n", s);
	free(err);
	oci_ref_free(r);
}

static void
test_refused(void)
{
	check_bad("");
	check_bad("Ubuntu");
	check_bad("x:");
	check_bad("x::t");
	check_bad(":t");
	check_bad("x@sha256:abc");
	check_bad("x@sha256:" D64 "0");
	check_bad("x@sha512:" D64);
	check_bad("x@sha256:"
	          "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef");
	check_bad("a//b");
	check_bad("a/b/");
	check_bad("/a");
	check_bad("a b");
	check_bad("a-");
	check_bad("a..b");
	check_bad("quay.io:99999/x");
	check_bad("quay.io:/x");
	check_bad("reg.io/");
	check_bad("x:-tag");
	check_bad("x:.tag");
	check_bad("x:t\n");
	check_bad("a___b");
	check_bad("[::1/x");
	check_bad("[::1]x/y");
	check_bad("[::1]:/x");
	check_bad("[::1]:70000/x");
	check_bad("[10.0.0.1]/x");
	check_bad("[]/x");
	check_bad("[zz::1]/x");
}

static void
test_long(void)
{
	char tag[200], s[300];

	memset(tag, 'a', 128);
	tag[128] = '\0';
	snprintf(s, sizeof(s), "x:%s", tag);
	check_ref(s, "registry-1.docker.io", "library/x", tag, NULL);
	snprintf(s, sizeof(s), "x:%sa", tag);
	check_bad(s);
}

static void
test_digest_valid(void)
{
	CHECK(oci_digest_valid("sha256:" D64));
	CHECK(!oci_digest_valid("sha256:" D64 "a"));
	CHECK(!oci_digest_valid("sha256:"));
	CHECK(!oci_digest_valid(NULL));
	CHECK(!oci_digest_valid("md5:" D64));
}

TEST_MAIN(TEST(test_docker_hub), TEST(test_registries), TEST(test_refused), TEST(test_long),
    TEST(test_digest_valid), TEST(test_format_name), TEST(test_loopback))
