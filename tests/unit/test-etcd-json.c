/*
 * lib/wire/etcd-json.c: base64, the request bodies (checked by parsing
 * them back), replies and watch messages as etcd 3.4's gateway writes
 * them (captured from a real etcd), bad inputs of every kind, and the
 * stream split at every byte position.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "etcd-json.h"
#include "test.h"
#include "util.h"

#define HDR                                                                                        \
	"\"header\":{\"cluster_id\":\"6001611773266757492\",\"member_id\":\"1\",\"revision\":\"4\",\"raft_term\":\"2\"}"

static void
test_base64_roundtrip(void)
{
	uint8_t in[300];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof(in); n++) {
		char *enc = NULL, *dec = NULL;
		size_t len = 99;

		CHECK_EQ_INT(etcd_json_base64_encode(in, n, &enc), 0);
		CHECK_EQ_INT(strlen(enc), (n + 2) / 3 * 4);
		CHECK_EQ_INT(etcd_json_base64_decode(enc, strlen(enc), &dec, &len), 0);
		CHECK_EQ_INT(len, n);
		CHECK(dec != NULL && memcmp(dec, in, n) == 0 && dec[n] == '\0');
		free(enc);
		free(dec);
	}
}

static void
test_base64_vectors(void)
{
	static const char *const v[][2] = {
	    {"", ""},
	    {"f", "Zg=="},
	    {"fo", "Zm8="},
	    {"foo", "Zm9v"},
	    {"foob", "Zm9vYg=="},
	    {"fooba", "Zm9vYmE="},
	    {"foobar", "Zm9vYmFy"},
	    {"\xff\xfe", "//4="},
	};

	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		char *enc = NULL;

		CHECK_EQ_INT(etcd_json_base64_encode(v[i][0], strlen(v[i][0]), &enc), 0);
		CHECK_EQ_STR(enc, v[i][1]);
		free(enc);
	}
}

static void
test_base64_bad(void)
{
	static const char *const bad[] = {"A", "AB", "ABC", "A===", "====", "AB=C", "ABC*",
	    "AB==", "AAB=", "Zm9v\n", " Zm9v", "Zg==Zg==", "Zm 9", "Zm-_", "Zg=\0"};
	char *dec = (char *)"untouched";
	size_t len = 7;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		size_t n = i == ELEMENTSOF(bad) - 1 ? 4 : strlen(bad[i]);

		CHECK_EQ_INT(etcd_json_base64_decode(bad[i], n, &dec, &len), -EBADMSG);
	}
	CHECK_EQ_STR(dec, "untouched");
	CHECK_EQ_INT(len, 7);
}

/* Parse a built body back; the caller deletes it. */
static cJSON *
parsed(char *s)
{
	cJSON *j = s != NULL ? cJSON_Parse(s) : NULL;

	free(s);
	CHECK(j != NULL);
	return j;
}

static const char *
str_at(const cJSON *j, const char *a, const char *b)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, a);

	if (b != NULL)
		o = cJSON_GetObjectItemCaseSensitive(o, b);
	return cJSON_IsString(o) ? o->valuestring : NULL;
}

static void
test_build_range_put_delete(void)
{
	char *s = NULL;
	cJSON *j;

	CHECK_EQ_INT(etcd_json_range_build("foo", NULL, 0, &s), 0);
	j = parsed(s);
	CHECK_EQ_STR(str_at(j, "key", NULL), "Zm9v");
	CHECK(cJSON_GetObjectItem(j, "range_end") == NULL &&
	      cJSON_GetObjectItem(j, "revision") == NULL);
	cJSON_Delete(j);

	CHECK_EQ_INT(etcd_json_range_build("foo", "fop", 1234567890123, &s), 0);
	j = parsed(s);
	CHECK_EQ_STR(str_at(j, "range_end", NULL), "Zm9w");
	CHECK_EQ_STR(str_at(j, "revision", NULL), "1234567890123");
	cJSON_Delete(j);

	CHECK_EQ_INT(etcd_json_range_build("a", "", 0, &s), 0);
	j = parsed(s);
	CHECK_EQ_STR(str_at(j, "range_end", NULL), "AA==");
	cJSON_Delete(j);

	CHECK_EQ_INT(etcd_json_put_build("k", "\0\xff\n", 3, 77, &s), 0);
	j = parsed(s);
	CHECK_EQ_STR(str_at(j, "key", NULL), "aw==");
	CHECK_EQ_STR(str_at(j, "value", NULL), "AP8K");
	CHECK_EQ_STR(str_at(j, "lease", NULL), "77");
	cJSON_Delete(j);

	CHECK_EQ_INT(etcd_json_put_build("k", NULL, 0, 0, &s), 0);
	j = parsed(s);
	CHECK_EQ_STR(str_at(j, "value", NULL), "");
	CHECK(cJSON_GetObjectItem(j, "lease") == NULL);
	cJSON_Delete(j);

	CHECK_EQ_INT(etcd_json_delete_build("foo", "fop", &s), 0);
	j = parsed(s);
	CHECK_EQ_STR(str_at(j, "key", NULL), "Zm9v");
	CHECK_EQ_STR(str_at(j, "range_end", NULL), "Zm9w");
	cJSON_Delete(j);

	s = (char *)"untouched";
	CHECK_EQ_INT(etcd_json_range_build("", NULL, 0, &s), -EINVAL);
	CHECK_EQ_INT(etcd_json_range_build(NULL, NULL, 0, &s), -EINVAL);
	CHECK_EQ_INT(etcd_json_put_build("", "v", 1, 0, &s), -EINVAL);
	CHECK_EQ_INT(etcd_json_delete_build("", NULL, &s), -EINVAL);
	CHECK_EQ_STR(s, "untouched");
}

static void
test_build_txn(void)
{
	const struct etcd_json_cmp cmps[] = {
	    {.key = "rev", .target = ETCD_JSON_CMP_MOD, .result = ETCD_JSON_CMP_EQUAL, .number = 5},
	    {.key = "v",
	        .target = ETCD_JSON_CMP_VALUE,
	        .result = ETCD_JSON_CMP_NOT_EQUAL,
	        .value = "x",
	        .value_len = 1},
	    {.key = "c", .target = ETCD_JSON_CMP_CREATE, .result = ETCD_JSON_CMP_LESS, .number = 3},
	    {.key = "n",
	        .target = ETCD_JSON_CMP_VERSION,
	        .result = ETCD_JSON_CMP_GREATER,
	        .number = 0},
	};
	const struct etcd_json_op ok[] = {
	    {.type = ETCD_JSON_OP_PUT, .key = "rev", .value = "1", .value_len = 1, .lease = 9},
	    {.type = ETCD_JSON_OP_DELETE, .key = "a/", .range_end = "a0"},
	};
	const struct etcd_json_op fail[] = {{.type = ETCD_JSON_OP_RANGE, .key = "rev"}};
	struct etcd_json_txn t = {
	    cmps, ELEMENTSOF(cmps), ok, fail, ELEMENTSOF(ok), ELEMENTSOF(fail)};
	char *s = NULL;
	cJSON *j, *c;

	CHECK_EQ_INT(etcd_json_txn_build(&t, &s), 0);
	j = parsed(s);
	c = cJSON_GetObjectItem(j, "compare");
	CHECK_EQ_INT(cJSON_GetArraySize(c), 4);
	CHECK_EQ_STR(str_at(cJSON_GetArrayItem(c, 0), "target", NULL), "MOD");
	CHECK_EQ_STR(str_at(cJSON_GetArrayItem(c, 0), "result", NULL), "EQUAL");
	CHECK_EQ_STR(str_at(cJSON_GetArrayItem(c, 0), "mod_revision", NULL), "5");
	CHECK_EQ_STR(str_at(cJSON_GetArrayItem(c, 1), "value", NULL), "eA==");
	CHECK_EQ_STR(str_at(cJSON_GetArrayItem(c, 1), "result", NULL), "NOT_EQUAL");
	CHECK_EQ_STR(str_at(cJSON_GetArrayItem(c, 2), "create_revision", NULL), "3");
	CHECK_EQ_STR(str_at(cJSON_GetArrayItem(c, 2), "result", NULL), "LESS");
	CHECK_EQ_STR(str_at(cJSON_GetArrayItem(c, 3), "version", NULL), "0");
	CHECK_EQ_STR(str_at(cJSON_GetArrayItem(c, 3), "target", NULL), "VERSION");
	c = cJSON_GetObjectItem(j, "success");
	CHECK_EQ_STR(str_at(cJSON_GetArrayItem(c, 0), "request_put", "value"), "MQ==");
	CHECK_EQ_STR(str_at(cJSON_GetArrayItem(c, 0), "request_put", "lease"), "9");
	CHECK_EQ_STR(str_at(cJSON_GetArrayItem(c, 1), "request_delete_range", "range_end"), "YTA=");
	c = cJSON_GetObjectItem(j, "failure");
	CHECK_EQ_STR(str_at(cJSON_GetArrayItem(c, 0), "request_range", "key"), "cmV2");
	cJSON_Delete(j);

	/* An empty txn is legal (etcd answers with the header). */
	t = (struct etcd_json_txn){0};
	CHECK_EQ_INT(etcd_json_txn_build(&t, &s), 0);
	CHECK_EQ_STR(s, "{}");
	free(s);
}

static void
test_build_txn_bad(void)
{
	struct etcd_json_cmp cmp = {.key = "k", .target = 4};
	struct etcd_json_op op = {.type = 3, .key = "k"};
	struct etcd_json_txn t = {.compares = &cmp, .n_compares = 1};
	char *s = (char *)"untouched";

	CHECK_EQ_INT(etcd_json_txn_build(&t, &s), -EINVAL);
	cmp.target = ETCD_JSON_CMP_MOD;
	cmp.result = 9;
	CHECK_EQ_INT(etcd_json_txn_build(&t, &s), -EINVAL);
	cmp.result = ETCD_JSON_CMP_EQUAL;
	cmp.key = "";
	CHECK_EQ_INT(etcd_json_txn_build(&t, &s), -EINVAL);
	t = (struct etcd_json_txn){.failure = &op, .n_failure = 1};
	CHECK_EQ_INT(etcd_json_txn_build(&t, &s), -EINVAL);
	op.type = ETCD_JSON_OP_PUT;
	op.key = NULL;
	CHECK_EQ_INT(etcd_json_txn_build(&t, &s), -EINVAL);
	CHECK_EQ_STR(s, "untouched");
}

static void
test_build_watch_lease_auth(void)
{
	char *s = NULL;
	cJSON *j;

	CHECK_EQ_INT(etcd_json_watch_build("p/", "p0", 42, &s), 0);
	j = parsed(s);
	CHECK_EQ_STR(str_at(j, "create_request", "key"), "cC8=");
	CHECK_EQ_STR(str_at(j, "create_request", "range_end"), "cDA=");
	CHECK_EQ_STR(str_at(j, "create_request", "start_revision"), "42");
	CHECK(cJSON_IsTrue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "create_request"), "fragment")));
	CHECK(cJSON_IsTrue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "create_request"), "progress_notify")));
	cJSON_Delete(j);
	CHECK_EQ_INT(etcd_json_watch_build("p/", NULL, 0, &s), 0);
	j = parsed(s);
	CHECK(str_at(j, "create_request", "start_revision") == NULL);
	cJSON_Delete(j);

	CHECK_EQ_INT(etcd_json_lease_grant_build(10, &s), 0);
	CHECK_EQ_STR(s, "{\"TTL\":\"10\"}");
	free(s);
	CHECK_EQ_INT(etcd_json_lease_id_build(-5986869626284349453, &s), 0);
	CHECK_EQ_STR(s, "{\"ID\":\"-5986869626284349453\"}");
	free(s);
	CHECK_EQ_INT(etcd_json_auth_build("al\"ice", "p\\w", &s), 0);
	CHECK_EQ_STR(s, "{\"name\":\"al\\\"ice\",\"password\":\"p\\\\w\"}");
	free(s);
	s = (char *)"untouched";
	CHECK_EQ_INT(etcd_json_auth_build(NULL, "x", &s), -EINVAL);
	CHECK_EQ_INT(etcd_json_watch_build("", NULL, 0, &s), -EINVAL);
	CHECK_EQ_STR(s, "untouched");
}

static int
reply(const char *s, struct etcd_json_reply *r)
{
	return etcd_json_reply_parse(s, strlen(s), r);
}

static void
test_reply_range(void)
{
	struct etcd_json_reply r;
	const char *s =
	    "{" HDR ",\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":\"2\",\"mod_revision\":\"3\","
	    "\"version\":\"2\",\"value\":\"AP8K\",\"lease\":\"7\"},{\"key\":\"Zm9w\",\"mod_revision\":4}],"
	    "\"count\":\"2\"}\n";

	CHECK_EQ_INT(reply(s, &r), 0);
	CHECK_EQ_INT(r.revision, 4);
	CHECK_EQ_INT(r.n_kvs, 2);
	CHECK_EQ_INT(r.count, 2);
	CHECK(!r.failed && !r.succeeded);
	CHECK_EQ_STR(r.kvs[0].key, "foo");
	CHECK_EQ_INT(r.kvs[0].value_len, 3);
	CHECK(memcmp(r.kvs[0].value, "\0\xff\n", 4) == 0);
	CHECK_EQ_INT(r.kvs[0].create_revision, 2);
	CHECK_EQ_INT(r.kvs[0].mod_revision, 3);
	CHECK_EQ_INT(r.kvs[0].version, 2);
	CHECK_EQ_INT(r.kvs[0].lease, 7);
	CHECK_EQ_STR(r.kvs[1].key, "fop");
	CHECK_EQ_STR(r.kvs[1].value, "");
	CHECK_EQ_INT(r.kvs[1].value_len, 0);
	CHECK_EQ_INT(r.kvs[1].mod_revision, 4);
	etcd_json_reply_done(&r);

	CHECK_EQ_INT(reply("{" HDR "}", &r), 0);
	CHECK_EQ_INT(r.n_kvs, 0);
	CHECK(r.kvs == NULL);
	CHECK_EQ_INT(r.count, 0);
	etcd_json_reply_done(&r);
}

static void
test_reply_txn(void)
{
	struct etcd_json_reply r;

	CHECK_EQ_INT(
	    reply("{" HDR ",\"succeeded\":true,\"responses\":[{\"response_put\":{\"header\":{"
	          "\"revision\":\"3\"}}},{\"response_range\":{\"header\":{\"revision\":\"3\"},"
	          "\"kvs\":[{\"key\":\"Zm9v\",\"mod_revision\":\"3\",\"value\":\"YmF6\"}],"
	          "\"count\":\"1\"}}]}",
	        &r),
	    0);
	CHECK(r.succeeded);
	CHECK_EQ_INT(r.n_kvs, 1);
	CHECK_EQ_STR(r.kvs[0].value, "baz");
	etcd_json_reply_done(&r);

	/* A failed txn omits "succeeded"; two range responses append in order. */
	CHECK_EQ_INT(
	    reply("{" HDR ",\"responses\":[{\"response_range\":{\"kvs\":[{\"key\":\"YQ==\"}]}},"
	          "{\"response_delete_range\":{\"deleted\":\"1\"}},{\"response_range\":{"
	          "\"kvs\":[{\"key\":\"Yg==\"},{\"key\":\"Yw==\"}]}}]}",
	        &r),
	    0);
	CHECK(!r.succeeded);
	CHECK_EQ_INT(r.n_kvs, 3);
	CHECK_EQ_STR(r.kvs[0].key, "a");
	CHECK_EQ_STR(r.kvs[2].key, "c");
	etcd_json_reply_done(&r);
}

static void
test_reply_lease_auth_error(void)
{
	struct etcd_json_reply r;

	CHECK_EQ_INT(reply("{" HDR ",\"ID\":\"5986869626284349451\",\"TTL\":\"5\"}", &r), 0);
	CHECK_EQ_INT(r.id, 5986869626284349451);
	CHECK_EQ_INT(r.ttl, 5);
	etcd_json_reply_done(&r);
	/* keepalive: wrapped; an expired lease comes without TTL. */
	CHECK_EQ_INT(reply("{\"result\":{" HDR ",\"ID\":\"12\",\"TTL\":\"2\"}}", &r), 0);
	CHECK_EQ_INT(r.id, 12);
	CHECK_EQ_INT(r.ttl, 2);
	etcd_json_reply_done(&r);
	CHECK_EQ_INT(reply("{\"result\":{" HDR ",\"ID\":\"12\"}}", &r), 0);
	CHECK_EQ_INT(r.ttl, 0);
	CHECK_EQ_INT(r.revision, 4);
	etcd_json_reply_done(&r);
	CHECK_EQ_INT(reply("{" HDR ",\"token\":\"LaYSYLHrnhjtbADk.24\"}", &r), 0);
	CHECK_EQ_STR(r.token, "LaYSYLHrnhjtbADk.24");
	etcd_json_reply_done(&r);

	CHECK_EQ_INT(
	    reply("{\"error\":\"etcdserver: invalid auth token\",\"message\":\"etcdserver: "
	          "invalid auth token\",\"code\":16}",
	        &r),
	    0);
	CHECK(r.failed);
	CHECK_EQ_INT(r.code, 16);
	CHECK_EQ_STR(r.message, "etcdserver: invalid auth token");
	etcd_json_reply_done(&r);
	CHECK_EQ_INT(reply("{\"error\":\"only the error text\"}", &r), 0);
	CHECK(r.failed);
	CHECK_EQ_INT(r.code, 0);
	CHECK_EQ_STR(r.message, "only the error text");
	etcd_json_reply_done(&r);
	CHECK_EQ_INT(
	    reply("{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"etcdserver: no "
	          "leader\",\"http_status\":\"Service Unavailable\"}}",
	        &r),
	    0);
	CHECK(r.failed);
	CHECK_EQ_INT(r.code, 14);
	CHECK_EQ_STR(r.message, "etcdserver: no leader");
	etcd_json_reply_done(&r);
}

static void
test_reply_bad(void)
{
	static const char *const bad[] = {
	    "",
	    " ",
	    "null",
	    "[]",
	    "\"x\"",
	    "{",
	    "{}x",
	    "{} {}",
	    "{\"header\":[]}",
	    "{\"header\":{\"revision\":{}}}",
	    "{\"header\":{\"revision\":\"x\"}}",
	    "{\"header\":{\"revision\":\"12a\"}}",
	    "{\"header\":{\"revision\":\"99999999999999999999\"}}",
	    "{\"header\":{\"revision\":\" 1\"}}",
	    "{\"header\":{\"revision\":1.5}}",
	    "{\"header\":{\"revision\":1e300}}",
	    "{\"kvs\":{}}",
	    "{\"kvs\":[1]}",
	    "{\"kvs\":[{}]}",
	    "{\"kvs\":[{\"key\":5}]}",
	    "{\"kvs\":[{\"key\":\"Zm9\"}]}",
	    "{\"kvs\":[{\"key\":\"Zm9v\",\"value\":\"!!!!\"}]}",
	    "{\"kvs\":[{\"key\":\"Zm9v\"},{\"key\":\"Zm9v\",\"version\":[]}]}",
	    "{\"succeeded\":\"true\"}",
	    "{\"succeeded\":1}",
	    "{\"count\":true}",
	    "{\"responses\":{}}",
	    "{\"responses\":[5]}",
	    "{\"responses\":[{\"response_range\":[]}]}",
	    "{\"responses\":[{\"response_range\":{\"kvs\":[{\"key\":\"*\"}]}}]}",
	    "{\"result\":[]}",
	    "{\"ID\":\"--1\"}",
	    "{\"TTL\":{}}",
	    "{\"token\":7}",
	    "{\"error\":5}",
	    "{\"error\":\"x\",\"code\":\"y\"}",
	    "{\"error\":\"x\",\"code\":-1}",
	    "{\"error\":\"x\",\"message\":[]}",
	    "{\"error\":{\"grpc_code\":{}}}",
	};
	struct etcd_json_reply r = {.revision = 123};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		int k = reply(bad[i], &r);

		if (k != -EBADMSG)
			fprintf(stderr, "accepted or wrong error (%d): %s\n", k, bad[i]);
		CHECK_EQ_INT(k, -EBADMSG);
	}
	CHECK_EQ_INT(r.revision, 123);
	/* An embedded NUL ends nothing: refused. */
	CHECK_EQ_INT(etcd_json_reply_parse("{}\0{}", 5, &r), -EBADMSG);
}

static void
test_reply_truncated(void)
{
	const char *s = "{" HDR ",\"kvs\":[{\"key\":\"Zm9v\",\"value\":\"YmFy\"}],\"count\":\"1\"}";
	struct etcd_json_reply r;

	for (size_t n = 0; n < strlen(s); n++)
		CHECK_EQ_INT(etcd_json_reply_parse(s, n, &r), -EBADMSG);
	CHECK_EQ_INT(etcd_json_reply_parse(s, strlen(s), &r), 0);
	etcd_json_reply_done(&r);
}

static void
test_reply_oversized(void)
{
	size_t n = ETCD_JSON_REPLY_MAX + 1;
	char *big = malloc(n);
	struct etcd_json_reply r;

	CHECK(big != NULL);
	if (big == NULL)
		return;
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	CHECK_EQ_INT(etcd_json_reply_parse(big, n, &r), -EMSGSIZE);
	/* Exactly at the cap it is parsed. */
	big[n - 2] = '}';
	CHECK_EQ_INT(etcd_json_reply_parse(big, n - 1, &r), 0);
	etcd_json_reply_done(&r);
	free(big);
}

static int
wmsg(const char *s, struct etcd_json_watch_msg *m)
{
	return etcd_json_watch_msg_parse(s, strlen(s), m);
}

static void
test_watch_msgs(void)
{
	struct etcd_json_watch_msg m;

	CHECK_EQ_INT(wmsg("{\"result\":{" HDR ",\"created\":true}}", &m), 0);
	CHECK(m.created && !m.canceled && !m.failed && m.n_events == 0);
	CHECK_EQ_INT(m.revision, 4);
	etcd_json_watch_msg_done(&m);

	CHECK_EQ_INT(
	    wmsg("{\"result\":{" HDR ",\"events\":[{\"kv\":{\"key\":\"Zm9v\",\"create_revision\":"
	         "\"2\",\"mod_revision\":\"2\",\"version\":\"1\",\"value\":\"YmFy\"}},{\"type\":"
	         "\"DELETE\",\"kv\":{\"key\":\"Zm9v\",\"mod_revision\":\"4\"}},{\"type\":\"PUT\","
	         "\"kv\":{\"key\":\"Zm9v\",\"mod_revision\":\"5\"}}],\"fragment\":true}}",
	        &m),
	    0);
	CHECK_EQ_INT(m.n_events, 3);
	CHECK(m.fragment);
	CHECK(!m.events[0].is_delete && m.events[1].is_delete && !m.events[2].is_delete);
	CHECK_EQ_STR(m.events[0].kv.value, "bar");
	CHECK_EQ_INT(m.events[1].kv.mod_revision, 4);
	CHECK_EQ_INT(m.events[1].kv.value_len, 0);
	etcd_json_watch_msg_done(&m);

	CHECK_EQ_INT(wmsg("{\"result\":{\"header\":{\"cluster_id\":\"1\"},\"canceled\":true,"
	                  "\"compact_revision\":\"5\"}}",
	                 &m),
	    0);
	CHECK(m.canceled);
	CHECK_EQ_INT(m.compact_revision, 5);
	etcd_json_watch_msg_done(&m);

	CHECK_EQ_INT(
	    wmsg("{\"result\":{" HDR ",\"watch_id\":\"-1\",\"created\":true,\"canceled\":true,"
	         "\"cancel_reason\":\"rpc error: code = Unauthenticated desc = etcdserver: "
	         "invalid auth token\"}}",
	        &m),
	    0);
	CHECK(m.created && m.canceled);
	CHECK_EQ_INT(m.watch_id, -1);
	CHECK(m.cancel_reason != NULL && strstr(m.cancel_reason, "invalid auth token") != NULL);
	etcd_json_watch_msg_done(&m);

	CHECK_EQ_INT(
	    wmsg("{\"error\":{\"grpc_code\":14,\"message\":\"etcdserver: no leader\"}}", &m), 0);
	CHECK(m.failed);
	CHECK_EQ_INT(m.code, 14);
	CHECK_EQ_STR(m.message, "etcdserver: no leader");
	etcd_json_watch_msg_done(&m);
	CHECK_EQ_INT(
	    wmsg("{\"error\":\"invalid character\",\"message\":\"invalid character\",\"code\":2}",
	        &m),
	    0);
	CHECK(m.failed);
	CHECK_EQ_INT(m.code, 2);
	etcd_json_watch_msg_done(&m);
}

static void
test_watch_msgs_bad(void)
{
	static const char *const bad[] = {
	    "{}",
	    "{\"result\":5}",
	    "{\"result\":{\"events\":{}}}",
	    "{\"result\":{\"events\":[{}]}}",
	    "{\"result\":{\"events\":[{\"kv\":5}]}}",
	    "{\"result\":{\"events\":[{\"kv\":{}}]}}",
	    "{\"result\":{\"events\":[{\"type\":\"EXPIRE\",\"kv\":{\"key\":\"YQ==\"}}]}}",
	    "{\"result\":{\"events\":[{\"type\":7,\"kv\":{\"key\":\"YQ==\"}}]}}",
	    "{\"result\":{\"events\":[{\"type\":[],\"kv\":{\"key\":\"YQ==\"}}]}}",
	    "{\"result\":{\"events\":[{\"kv\":{\"key\":\"YQ==\"}},{\"kv\":{\"key\":\"YQ\"}}]}}",
	    "{\"result\":{\"created\":\"yes\"}}",
	    "{\"result\":{\"compact_revision\":\"\"}}",
	    "{\"result\":{\"cancel_reason\":false}}",
	    "{\"result\":{\"header\":5}}",
	    "{\"result\":{}} x",
	};
	struct etcd_json_watch_msg m = {.revision = 5};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		int k = wmsg(bad[i], &m);

		if (k != -EBADMSG)
			fprintf(stderr, "accepted or wrong error (%d): %s\n", k, bad[i]);
		CHECK_EQ_INT(k, -EBADMSG);
	}
	CHECK_EQ_INT(m.revision, 5);
}

static void
test_watch_merge(void)
{
	struct etcd_json_watch_msg a, b, c;

	CHECK_EQ_INT(
	    wmsg("{\"result\":{\"header\":{\"revision\":\"8\"},\"fragment\":true,\"events\":["
	         "{\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"7\"}}]}}",
	        &a),
	    0);
	CHECK_EQ_INT(
	    wmsg("{\"result\":{\"header\":{\"revision\":\"9\"},\"events\":[{\"kv\":{\"key\":"
	         "\"Yg==\",\"mod_revision\":\"7\"}},{\"type\":\"DELETE\",\"kv\":{\"key\":\"Yw==\","
	         "\"mod_revision\":\"8\"}}]}}",
	        &b),
	    0);
	size_t sa = a.size, sb = b.size;
	CHECK_EQ_INT(etcd_json_watch_msg_merge(&a, &b), 0);
	CHECK_EQ_INT(a.n_events, 3);
	CHECK(!a.fragment);
	CHECK_EQ_INT(a.revision, 9);
	CHECK_EQ_INT(a.size, sa + sb);
	CHECK_EQ_STR(a.events[2].kv.key, "c");
	CHECK(a.events[2].is_delete);
	CHECK_EQ_INT(b.n_events, 0);
	etcd_json_watch_msg_done(&b);

	c = (struct etcd_json_watch_msg){.size = ETCD_JSON_BATCH_MAX};
	CHECK_EQ_INT(etcd_json_watch_msg_merge(&a, &c), -EMSGSIZE);
	CHECK_EQ_INT(a.n_events, 3);
	etcd_json_watch_msg_done(&a);
}

static const char stream_text[] =
    "{\"result\":{" HDR ",\"created\":true}}\n"
    "\r\n"
    "{\"result\":{" HDR ",\"events\":[{\"kv\":{\"key\":\"Zm9v\",\"mod_revision\":\"5\",\"value\":"
    "\"YmFy\"}}]}}\n"
    "{\"result\":{" HDR
    ",\"events\":[{\"type\":\"DELETE\",\"kv\":{\"key\":\"Zm9v\",\"mod_revision\":"
    "\"6\"}}]}}\r\n"
    "{\"result\":{\"header\":{},\"canceled\":true,\"compact_revision\":\"9\"}}\n";

/* Drain 's' into a summary: "C" created, "P<rev>" / "D<rev>" events, "X<rev>" compacted. */
static int
drain(struct etcd_json_stream *s, char *out, size_t cap)
{
	struct etcd_json_watch_msg m;
	int k;

	while ((k = etcd_json_stream_next(s, &m)) == 1) {
		size_t l = strlen(out);

		if (m.created)
			snprintf(out + l, cap - l, "C");
		for (size_t i = 0; i < m.n_events; i++, l = strlen(out))
			snprintf(out + l, cap - l, "%c%lld", m.events[i].is_delete ? 'D' : 'P',
			    (long long)m.events[i].kv.mod_revision);
		l = strlen(out);
		if (m.compact_revision > 0)
			snprintf(out + l, cap - l, "X%lld", (long long)m.compact_revision);
		etcd_json_watch_msg_done(&m);
	}
	return k;
}

static void
test_stream_split_everywhere(void)
{
	size_t n = strlen(stream_text);

	for (size_t cut = 0; cut <= n; cut++) {
		struct etcd_json_stream s;
		char out[64] = "";

		etcd_json_stream_init(&s);
		CHECK_EQ_INT(etcd_json_stream_feed(&s, stream_text, cut), 0);
		CHECK_EQ_INT(drain(&s, out, sizeof(out)), 0);
		CHECK_EQ_INT(etcd_json_stream_feed(&s, stream_text + cut, n - cut), 0);
		CHECK_EQ_INT(drain(&s, out, sizeof(out)), 0);
		CHECK_EQ_STR(out, "CP5D6X9");
		CHECK_EQ_INT(etcd_json_stream_pending(&s), 0);
		etcd_json_stream_done(&s);
	}
}

static void
test_stream_byte_by_byte(void)
{
	struct etcd_json_stream s;
	char out[64] = "";

	etcd_json_stream_init(&s);
	for (size_t i = 0; stream_text[i] != '\0'; i++) {
		CHECK_EQ_INT(etcd_json_stream_feed(&s, stream_text + i, 1), 0);
		CHECK_EQ_INT(drain(&s, out, sizeof(out)), 0);
	}
	CHECK_EQ_STR(out, "CP5D6X9");
	/* A message without its newline stays pending. */
	CHECK_EQ_INT(etcd_json_stream_feed(&s, "{\"result\":{}}", 13), 0);
	CHECK_EQ_INT(drain(&s, out, sizeof(out)), 0);
	CHECK_EQ_INT(etcd_json_stream_pending(&s), 13);
	etcd_json_stream_done(&s);
}

static void
test_stream_bad_line(void)
{
	struct etcd_json_stream s;
	struct etcd_json_watch_msg m;
	static const char text[] = "{\"result\":{\"events\":[{\"kv\":{\"key\":\"!\"}}]}}\n"
	                           "not json\n{\"result\":{\"created\":true}}\n";

	etcd_json_stream_init(&s);
	CHECK_EQ_INT(etcd_json_stream_feed(&s, text, strlen(text)), 0);
	CHECK_EQ_INT(etcd_json_stream_next(&s, &m), -EBADMSG);
	CHECK_EQ_INT(etcd_json_stream_next(&s, &m), -EBADMSG);
	CHECK_EQ_INT(etcd_json_stream_next(&s, &m), 1);
	CHECK(m.created);
	etcd_json_watch_msg_done(&m);
	CHECK_EQ_INT(etcd_json_stream_next(&s, &m), 0);
	etcd_json_stream_done(&s);
}

static void
test_stream_oversized(void)
{
	struct etcd_json_stream s;
	struct etcd_json_watch_msg m;
	size_t chunk = 1024 * 1024;
	char *junk = malloc(chunk);
	size_t fed = 0;
	int k = 0;

	CHECK(junk != NULL);
	if (junk == NULL)
		return;
	memset(junk, 'x', chunk);
	etcd_json_stream_init(&s);
	/* A line that never ends: refused once it passes the message cap. */
	while (fed <= ETCD_JSON_MESSAGE_MAX && (k = etcd_json_stream_feed(&s, junk, chunk)) == 0) {
		fed += chunk;
		if (fed <= ETCD_JSON_MESSAGE_MAX)
			CHECK_EQ_INT(etcd_json_stream_next(&s, &m), 0);
	}
	CHECK_EQ_INT(k, 0);
	CHECK_EQ_INT(etcd_json_stream_next(&s, &m), -EMSGSIZE);
	/* The buffer itself is capped: a feed that would pass it copies nothing. */
	while ((k = etcd_json_stream_feed(&s, junk, chunk)) == 0)
		;
	CHECK_EQ_INT(k, -ENOBUFS);
	CHECK(etcd_json_stream_pending(&s) <= ETCD_JSON_STREAM_MAX);
	etcd_json_stream_done(&s);
	free(junk);
}

TEST_MAIN(TEST(test_base64_roundtrip), TEST(test_base64_vectors), TEST(test_base64_bad),
    TEST(test_build_range_put_delete), TEST(test_build_txn), TEST(test_build_txn_bad),
    TEST(test_build_watch_lease_auth), TEST(test_reply_range), TEST(test_reply_txn),
    TEST(test_reply_lease_auth_error), TEST(test_reply_bad), TEST(test_reply_truncated),
    TEST(test_reply_oversized), TEST(test_watch_msgs), TEST(test_watch_msgs_bad),
    TEST(test_watch_merge), TEST(test_stream_split_everywhere), TEST(test_stream_byte_by_byte),
    TEST(test_stream_bad_line), TEST(test_stream_oversized))
