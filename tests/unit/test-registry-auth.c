/*
 * The pure parts of the registry client: WWW-Authenticate challenges and
 * the Docker config.json auth file.
 */
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "test.h"

static void
test_bearer(void)
{
	struct registry_challenge *c = NULL;

	CHECK_EQ_INT(registry_challenge_parse("Bearer realm=\"https://auth.docker.io/token\","
	                                      "service=\"registry.docker.io\","
	                                      "scope=\"repository:library/ubuntu:pull\"",
	                 &c),
	    0);
	if (c != NULL) {
		CHECK_EQ_INT(c->scheme, REGISTRY_AUTH_BEARER);
		CHECK_EQ_STR(c->realm, "https://auth.docker.io/token");
		CHECK_EQ_STR(c->service, "registry.docker.io");
		CHECK_EQ_STR(c->scope, "repository:library/ubuntu:pull");
	}
	registry_challenge_free(c);
	c = NULL;
	/* case-insensitive scheme and names, spaces, unquoted tokens, escapes, unknown params */
	CHECK_EQ_INT(registry_challenge_parse("bearer  Realm = \"https://q.io/t?a=\\\"b\\\"\" , "
	                                      "error=insufficient_scope,service=quay.io",
	                 &c),
	    0);
	if (c != NULL) {
		CHECK_EQ_STR(c->realm, "https://q.io/t?a=\"b\"");
		CHECK_EQ_STR(c->service, "quay.io");
		CHECK(c->scope == NULL);
	}
	registry_challenge_free(c);
	c = NULL;
	/* a second challenge after the first is ignored */
	CHECK_EQ_INT(registry_challenge_parse("Bearer realm=\"r\", Basic realm=\"x\"", &c), 0);
	if (c != NULL)
		CHECK_EQ_STR(c->realm, "r");
	registry_challenge_free(c);
}

static void
test_basic(void)
{
	struct registry_challenge *c = NULL;

	CHECK_EQ_INT(registry_challenge_parse("Basic realm=\"basic-realm\"", &c), 0);
	CHECK(c != NULL && c->scheme == REGISTRY_AUTH_BASIC);
	registry_challenge_free(c);
	c = NULL;
	CHECK_EQ_INT(registry_challenge_parse("Basic", &c), 0);
	registry_challenge_free(c);
}

static void
check_bad(const char *s, int want)
{
	struct registry_challenge *c = NULL;

	CHECK_EQ_INT(registry_challenge_parse(s, &c), want);
	CHECK(c == NULL);
	registry_challenge_free(c);
}

static void
test_bad(void)
{
	check_bad("", -EBADMSG);
	check_bad("Bearer", -EBADMSG);                      /* no realm */
	check_bad("Bearer service=x", -EBADMSG);            /* no realm */
	check_bad("Bearer realm=\"unterminated", -EBADMSG); /* quote */
	check_bad("Bearer realm=\"a\" realm=\"b\"", -EBADMSG);
	check_bad("Bearer realm=\"a\",realm=\"b\"", -EBADMSG); /* repeated */
	check_bad("Bearer realm=", -EBADMSG);
	check_bad("Bearer realm=\"a\x01\"", -EBADMSG);
	check_bad("Bearer,realm=a", -EBADMSG);
	check_bad("Digest realm=\"x\"", -EOPNOTSUPP);
	check_bad("Negotiate", -EOPNOTSUPP);
}

#define AUTHS(x) "{\"auths\":{" x "}}"

static void
check_lookup(const char *json, const char *reg, int want, const char *user, const char *pass)
{
	char *u = NULL, *p = NULL;

	CHECK_EQ_INT(registry_auth_lookup(json, strlen(json), reg, &u, &p), want);
	if (want == 0) {
		CHECK_EQ_STR(u, user);
		CHECK_EQ_STR(p, pass);
	} else {
		CHECK(u == NULL && p == NULL);
	}
	free(u);
	free(p);
}

static void
test_auth_file(void)
{
	/* dXNlcjpwYTpzcw== is "user:pa:ss"; YWxpY2U6c2VjcmV0 is "alice:secret" */
	const char *f = AUTHS("\"127.0.0.1:5000\":{\"auth\":\"dXNlcjpwYTpzcw==\"},"
	                      "\"https://index.docker.io/v1/\":{\"auth\":\"YWxpY2U6c2VjcmV0\"},"
	                      "\"helper.io\":{\"identitytoken\":\"x\"}");

	check_lookup(f, "127.0.0.1:5000", 0, "user", "pa:ss");
	check_lookup(f, "registry-1.docker.io", 0, "alice", "secret");
	check_lookup(f, "127.0.0.1:5001", -ENOENT, NULL, NULL);
	check_lookup(f, "helper.io", -ENOENT, NULL, NULL);
	check_lookup("{}", "quay.io", -ENOENT, NULL, NULL);
	check_lookup("{\"credsStore\":\"desktop\"}", "quay.io", -ENOENT, NULL, NULL);
	check_lookup(AUTHS("\"https://Quay.io\":{\"auth\":\"YWxpY2U6c2VjcmV0\"}"), "quay.io", 0,
	    "alice", "secret");
	check_lookup("[", "quay.io", -EBADMSG, NULL, NULL);
	check_lookup("{\"auths\":[]}", "quay.io", -EBADMSG, NULL, NULL);
	check_lookup(AUTHS("\"quay.io\":{\"auth\":\"!!!!\"}"), "quay.io", -EBADMSG, NULL, NULL);
	check_lookup(AUTHS("\"quay.io\":{\"auth\":\"bm9jb2xvbg==\"}"), "quay.io", -EBADMSG, NULL,
	    NULL); /* "nocolon" */
}

TEST_MAIN(TEST(test_bearer), TEST(test_basic), TEST(test_bad), TEST(test_auth_file))
