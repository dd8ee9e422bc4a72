#include "etcd-json.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- base64 ---- */

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
etcd_json_base64_encode(const void *p, size_t len, char **ret)
{
	const uint8_t *in = p;
	char *out, *o;

	if (len > SIZE_MAX / 2)
		return -EMSGSIZE;
	out = o = malloc((len + 2) / 3 * 4 + 1);
	if (out == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*o++ = b64_chars[v >> 18 & 63];
		*o++ = b64_chars[v >> 12 & 63];
		*o++ = i + 1 < len ? b64_chars[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64_chars[v & 63] : '=';
	}
	*o = '\0';
	*ret = out;
	return 0;
}

/* One group of four characters, the last 'pad' of them '='. */
static int
b64_group(const char *s, size_t pad, uint8_t *out)
{
	uint32_t v = 0;

	for (size_t i = 0; i < 4; i++) {
		int d = i < 4 - pad ? b64_value(s[i]) : 0;

		if (d < 0)
			return -EBADMSG;
		v = v << 6 | (uint32_t)d;
	}
	/* The bits under the padding must be zero (canonical encoding). */
	if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0))
		return -EBADMSG;
	out[0] = (uint8_t)(v >> 16);
	out[1] = (uint8_t)(v >> 8);
	out[2] = (uint8_t)v;
	return 0;
}

int
etcd_json_base64_decode(const char *s, size_t len, char **ret, size_t *ret_len)
{
	_cleanup_free_ uint8_t *out = NULL;
	size_t pad = 0, n = 0;

	if (len % 4 != 0)
		return -EBADMSG;
	if (len > 0 && s[len - 1] == '=')
		pad = len > 1 && s[len - 2] == '=' ? 2 : 1;
	out = malloc(len / 4 * 3 + 1);
	if (out == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 4) {
		size_t p = i + 4 == len ? pad : 0;

		if (b64_group(s + i, p, out + n) < 0)
			return -EBADMSG;
		n += 3 - p;
	}
	out[n] = '\0';
	*ret = (char *)TAKE_PTR(out);
	*ret_len = n;
	return 0;
}

/* ---- builders ---- */

static void
cjson_deletep(cJSON **p)
{
	cJSON_Delete(*p);
}
#define _cleanup_cjson_ _cleanup_(cjson_deletep)

static int
add_b64(cJSON *obj, const char *name, const void *p, size_t len)
{
	_cleanup_free_ char *s = NULL;
	int r;

	r = etcd_json_base64_encode(p, len, &s);
	if (r < 0)
		return r;
	return cJSON_AddStringToObject(obj, name, s) != NULL ? 0 : -ENOMEM;
}

static int
add_int64(cJSON *obj, const char *name, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cJSON_AddStringToObject(obj, name, buf) != NULL ? 0 : -ENOMEM;
}

static int
add_key_range(cJSON *obj, const char *key, const char *range_end)
{
	int r;

	if (key == NULL || key[0] == '\0')
		return -EINVAL;
	r = add_b64(obj, "key", key, strlen(key));
	if (r < 0 || range_end == NULL)
		return r;
	/* "" stands for etcd's "\0": every key from 'key' on. */
	if (range_end[0] == '\0')
		return add_b64(obj, "range_end", "", 1);
	return add_b64(obj, "range_end", range_end, strlen(range_end));
}

static int
print_json(cJSON *root, char **ret)
{
	char *s = cJSON_PrintUnformatted(root);

	if (s == NULL)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int
etcd_json_range_build(const char *key, const char *range_end, int64_t revision, char **ret)
{
	_cleanup_cjson_ cJSON *root = cJSON_CreateObject();
	int r;

	if (root == NULL)
		return -ENOMEM;
	r = add_key_range(root, key, range_end);
	if (r == 0 && revision != 0)
		r = add_int64(root, "revision", revision);
	return r < 0 ? r : print_json(root, ret);
}

static int
put_fill(cJSON *obj, const char *key, const void *value, size_t value_len, int64_t lease)
{
	int r;

	if (key == NULL || key[0] == '\0')
		return -EINVAL;
	r = add_b64(obj, "key", key, strlen(key));
	if (r == 0)
		r = add_b64(obj, "value", value_len > 0 ? value : "", value_len);
	if (r == 0 && lease != 0)
		r = add_int64(obj, "lease", lease);
	return r;
}

int
etcd_json_put_build(const char *key, const void *value, size_t value_len, int64_t lease, char **ret)
{
	_cleanup_cjson_ cJSON *root = cJSON_CreateObject();
	int r;

	if (root == NULL)
		return -ENOMEM;
	r = put_fill(root, key, value, value_len, lease);
	return r < 0 ? r : print_json(root, ret);
}

int
etcd_json_delete_build(const char *key, const char *range_end, char **ret)
{
	_cleanup_cjson_ cJSON *root = cJSON_CreateObject();
	int r;

	if (root == NULL)
		return -ENOMEM;
	r = add_key_range(root, key, range_end);
	return r < 0 ? r : print_json(root, ret);
}

static int
cmp_add(cJSON *arr, const struct etcd_json_cmp *c)
{
	static const char *const targets[] = {"MOD", "VERSION", "CREATE", "VALUE"};
	static const char *const fields[] = {"mod_revision", "version", "create_revision", NULL};
	static const char *const results[] = {"EQUAL", "NOT_EQUAL", "LESS", "GREATER"};
	cJSON *o;
	int r;

	if ((unsigned)c->target >= ELEMENTSOF(targets) ||
	    (unsigned)c->result >= ELEMENTSOF(results))
		return -EINVAL;
	if (c->key == NULL || c->key[0] == '\0')
		return -EINVAL;
	o = cJSON_CreateObject();
	if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return -ENOMEM;
	}
	r = add_b64(o, "key", c->key, strlen(c->key));
	if (r == 0 && (cJSON_AddStringToObject(o, "target", targets[c->target]) == NULL ||
	                  cJSON_AddStringToObject(o, "result", results[c->result]) == NULL))
		r = -ENOMEM;
	if (r == 0 && c->target == ETCD_JSON_CMP_VALUE)
		r = add_b64(o, "value", c->value_len > 0 ? c->value : "", c->value_len);
	else if (r == 0)
		r = add_int64(o, fields[c->target], c->number);
	return r;
}

static int
op_add(cJSON *arr, const struct etcd_json_op *op)
{
	static const char *const names[] = {
	    [ETCD_JSON_OP_PUT] = "request_put",
	    [ETCD_JSON_OP_DELETE] = "request_delete_range",
	    [ETCD_JSON_OP_RANGE] = "request_range",
	};
	cJSON *o, *inner;

	if ((unsigned)op->type >= ELEMENTSOF(names))
		return -EINVAL;
	o = cJSON_CreateObject();
	if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return -ENOMEM;
	}
	inner = cJSON_AddObjectToObject(o, names[op->type]);
	if (inner == NULL)
		return -ENOMEM;
	if (op->type == ETCD_JSON_OP_PUT)
		return put_fill(inner, op->key, op->value, op->value_len, op->lease);
	return add_key_range(inner, op->key, op->range_end);
}

static int
ops_add(cJSON *root, const char *name, const struct etcd_json_op *ops, size_t n)
{
	cJSON *arr;
	int r;

	if (n == 0)
		return 0;
	arr = cJSON_AddArrayToObject(root, name);
	if (arr == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if ((r = op_add(arr, &ops[i])) < 0)
			return r;
	return 0;
}

int
etcd_json_txn_build(const struct etcd_json_txn *t, char **ret)
{
	_cleanup_cjson_ cJSON *root = cJSON_CreateObject();
	cJSON *arr;
	int r = 0;

	if (root == NULL)
		return -ENOMEM;
	if (t->n_compares > 0) {
		arr = cJSON_AddArrayToObject(root, "compare");
		if (arr == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < t->n_compares && r == 0; i++)
			r = cmp_add(arr, &t->compares[i]);
	}
	if (r == 0)
		r = ops_add(root, "success", t->success, t->n_success);
	if (r == 0)
		r = ops_add(root, "failure", t->failure, t->n_failure);
	return r < 0 ? r : print_json(root, ret);
}

int
etcd_json_watch_build(const char *key, const char *range_end, int64_t start_revision, char **ret)
{
	_cleanup_cjson_ cJSON *root = cJSON_CreateObject();
	cJSON *req;
	int r;

	if (root == NULL || (req = cJSON_AddObjectToObject(root, "create_request")) == NULL)
		return -ENOMEM;
	r = add_key_range(req, key, range_end);
	if (r == 0 && start_revision != 0)
		r = add_int64(req, "start_revision", start_revision);
	if (r == 0 && (cJSON_AddTrueToObject(req, "progress_notify") == NULL ||
	                  cJSON_AddTrueToObject(req, "fragment") == NULL))
		r = -ENOMEM;
	return r < 0 ? r : print_json(root, ret);
}

int
etcd_json_lease_grant_build(int64_t ttl, char **ret)
{
	_cleanup_cjson_ cJSON *root = cJSON_CreateObject();

	if (root == NULL || add_int64(root, "TTL", ttl) < 0)
		return -ENOMEM;
	return print_json(root, ret);
}

int
etcd_json_lease_id_build(int64_t id, char **ret)
{
	_cleanup_cjson_ cJSON *root = cJSON_CreateObject();

	if (root == NULL || add_int64(root, "ID", id) < 0)
		return -ENOMEM;
	return print_json(root, ret);
}

int
etcd_json_auth_build(const char *name, const char *password, char **ret)
{
	_cleanup_cjson_ cJSON *root = cJSON_CreateObject();

	if (name == NULL || password == NULL)
		return -EINVAL;
	if (root == NULL || cJSON_AddStringToObject(root, "name", name) == NULL ||
	    cJSON_AddStringToObject(root, "password", password) == NULL)
		return -ENOMEM;
	return print_json(root, ret);
}

/* ---- parsing helpers ---- */

/* 'name' in 'obj': NULL if absent; -EBADMSG via *ret_r if present with another type. */
static const cJSON *
member(const cJSON *obj, const char *name, int type, int *ret_r)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (j == NULL || cJSON_IsNull(j))
		return NULL;
	if ((j->type & 0xff) != type) {
		*ret_r = -EBADMSG;
		return NULL;
	}
	return j;
}

static int
parse_int64_text(const char *s, int64_t *ret)
{
	char *end;
	long long v;

	if (s == NULL || s[0] == '\0' || strlen(s) > 20 ||
	    !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
		return -EBADMSG;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EBADMSG;
	*ret = v;
	return 0;
}

/* An int64 field: absent is 0; a string of digits or an exact JSON integer. */
static int
get_int64(const cJSON *obj, const char *name, int64_t *ret)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, name);
	double d;

	if (j == NULL || cJSON_IsNull(j)) {
		*ret = 0;
		return 0;
	}
	if (cJSON_IsString(j))
		return parse_int64_text(j->valuestring, ret);
	if (!cJSON_IsNumber(j))
		return -EBADMSG;
	d = j->valuedouble;
	/* NaN fails the range test. */
	if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0) || (double)(int64_t)d != d)
		return -EBADMSG;
	*ret = (int64_t)d;
	return 0;
}

static int
get_bool(const cJSON *obj, const char *name, bool *ret)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (j == NULL || cJSON_IsNull(j)) {
		*ret = false;
		return 0;
	}
	if (!cJSON_IsBool(j))
		return -EBADMSG;
	*ret = cJSON_IsTrue(j);
	return 0;
}

/* A string field copied: absent is NULL. */
static int
get_string(const cJSON *obj, const char *name, char **ret)
{
	int r = 0;
	const cJSON *j = member(obj, name, cJSON_String, &r);
	char *s = NULL;

	if (r < 0)
		return r;
	if (j != NULL && (s = strdup(j->valuestring)) == NULL)
		return -ENOMEM;
	free(*ret);
	*ret = s;
	return 0;
}

/* A base64 field decoded: absent is "" (etcd omits empty values) unless required. */
static int
get_b64(const cJSON *obj, const char *name, bool required, char **ret, size_t *ret_len)
{
	int r = 0;
	const cJSON *j = member(obj, name, cJSON_String, &r);
	const char *s = j != NULL ? j->valuestring : "";

	if (r < 0 || (j == NULL && required))
		return -EBADMSG;
	return etcd_json_base64_decode(s, strlen(s), ret, ret_len);
}

void
etcd_json_kv_done(struct etcd_json_kv *kv)
{
	free(kv->key);
	free(kv->value);
	*kv = (struct etcd_json_kv){0};
}

static int
kv_parse(const cJSON *j, struct etcd_json_kv *ret)
{
	struct etcd_json_kv kv = {0};
	int r;

	if (!cJSON_IsObject(j))
		return -EBADMSG;
	r = get_b64(j, "key", true, &kv.key, &kv.key_len);
	if (r == 0)
		r = get_b64(j, "value", false, &kv.value, &kv.value_len);
	if (r == 0)
		r = get_int64(j, "create_revision", &kv.create_revision);
	if (r == 0)
		r = get_int64(j, "mod_revision", &kv.mod_revision);
	if (r == 0)
		r = get_int64(j, "version", &kv.version);
	if (r == 0)
		r = get_int64(j, "lease", &kv.lease);
	if (r < 0) {
		etcd_json_kv_done(&kv);
		return r;
	}
	*ret = kv;
	return 0;
}

static void
kvs_free(struct etcd_json_kv *kvs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		etcd_json_kv_done(&kvs[i]);
	free(kvs);
}

/* Append the kvs of array 'name' in 'obj' (absent: none). */
static int
kvs_append(const cJSON *obj, const char *name, struct etcd_json_kv **kvs, size_t *n)
{
	int r = 0;
	const cJSON *arr = member(obj, name, cJSON_Array, &r), *j;
	size_t add = (size_t)cJSON_GetArraySize(arr);
	struct etcd_json_kv *p;

	if (r < 0 || arr == NULL || add == 0)
		return r;
	p = realloc(*kvs, (*n + add) * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	*kvs = p;
	cJSON_ArrayForEach(j, arr)
	{
		r = kv_parse(j, &p[*n]);
		if (r < 0)
			return r;
		(*n)++;
	}
	return 0;
}

static int
header_revision(const cJSON *obj, int64_t *ret)
{
	int r = 0;
	const cJSON *h = member(obj, "header", cJSON_Object, &r);

	*ret = 0;
	if (r < 0 || h == NULL)
		return r;
	return get_int64(h, "revision", ret);
}

/*
 * An error object: {"error": "text", "code": N, "message": "text"} (unary
 * replies) or {"error": {"grpc_code": N, "message": "text", ...}} (streams).
 * 1 if 'root' is one, 0 if not.
 */
static int
error_parse(const cJSON *root, bool *ret_failed, int *ret_code, char **ret_message)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
	const cJSON *from = root;
	int64_t code = 0;
	char *msg = NULL;
	int r;

	if (err == NULL)
		return 0;
	if (cJSON_IsObject(err))
		from = err;
	else if (!cJSON_IsString(err))
		return -EBADMSG;
	r = get_int64(from, from == err ? "grpc_code" : "code", &code);
	if (r == 0)
		r = get_string(from, "message", &msg);
	if (r == 0 && msg == NULL)
		msg = strdup(cJSON_IsString(err) ? err->valuestring : "unknown error");
	if (r == 0 && msg == NULL)
		r = -ENOMEM;
	if (r == 0 && (code < 0 || code > INT_MAX))
		r = -EBADMSG;
	if (r < 0) {
		free(msg);
		return r;
	}
	*ret_failed = true;
	*ret_code = (int)code;
	*ret_message = msg;
	return 1;
}

static void
cjson_parse_free(cJSON *root)
{
	cJSON_Delete(root);
}

/* Parse one JSON object filling buf (trailing whitespace allowed). */
static int
parse_object(const void *buf, size_t len, size_t max, cJSON **ret)
{
	const char *end = NULL;
	cJSON *root;

	if (len > max)
		return -EMSGSIZE;
	if (len == 0 || memchr(buf, '\0', len) != NULL)
		return -EBADMSG;
	root = cJSON_ParseWithLengthOpts(buf, len, &end, false);
	if (root == NULL)
		return -EBADMSG;
	while (end < (const char *)buf + len && strchr(" \t\r\n", *end) != NULL)
		end++;
	if (end != (const char *)buf + len || !cJSON_IsObject(root)) {
		cjson_parse_free(root);
		return -EBADMSG;
	}
	*ret = root;
	return 0;
}

/* ---- unary replies ---- */

void
etcd_json_reply_done(struct etcd_json_reply *r)
{
	kvs_free(r->kvs, r->n_kvs);
	free(r->token);
	free(r->message);
	*r = (struct etcd_json_reply){0};
}

/* A txn's responses: the kvs of its range responses, in order. */
static int
responses_parse(const cJSON *root, struct etcd_json_reply *rep)
{
	int r = 0;
	const cJSON *arr = member(root, "responses", cJSON_Array, &r), *j;

	cJSON_ArrayForEach(j, arr)
	{
		const cJSON *range;

		if (!cJSON_IsObject(j))
			return -EBADMSG;
		range = member(j, "response_range", cJSON_Object, &r);
		if (r < 0)
			return r;
		if (range != NULL && (r = kvs_append(range, "kvs", &rep->kvs, &rep->n_kvs)) < 0)
			return r;
	}
	return r;
}

static int
reply_fill(const cJSON *root, struct etcd_json_reply *rep)
{
	int r;

	r = error_parse(root, &rep->failed, &rep->code, &rep->message);
	if (r != 0)
		return r < 0 ? r : 0;
	r = header_revision(root, &rep->revision);
	if (r == 0)
		r = get_bool(root, "succeeded", &rep->succeeded);
	if (r == 0)
		r = kvs_append(root, "kvs", &rep->kvs, &rep->n_kvs);
	if (r == 0)
		r = responses_parse(root, rep);
	if (r == 0)
		r = get_int64(root, "count", &rep->count);
	if (r == 0)
		r = get_int64(root, "ID", &rep->id);
	if (r == 0)
		r = get_int64(root, "TTL", &rep->ttl);
	if (r == 0)
		r = get_string(root, "token", &rep->token);
	return r;
}

int
etcd_json_reply_parse(const void *buf, size_t len, struct etcd_json_reply *ret)
{
	struct etcd_json_reply rep = {0};
	cJSON *root = NULL;
	const cJSON *result;
	int r;

	r = parse_object(buf, len, ETCD_JSON_REPLY_MAX, &root);
	if (r < 0)
		return r;
	/* A keepalive's reply is a stream of one message: {"result": {...}}. */
	result = member(root, "result", cJSON_Object, &r);
	if (r == 0)
		r = reply_fill(result != NULL ? result : root, &rep);
	cjson_parse_free(root);
	if (r < 0) {
		etcd_json_reply_done(&rep);
		return r;
	}
	*ret = rep;
	return 0;
}

/* ---- watch messages ---- */

void
etcd_json_watch_msg_done(struct etcd_json_watch_msg *m)
{
	for (size_t i = 0; i < m->n_events; i++)
		etcd_json_kv_done(&m->events[i].kv);
	free(m->events);
	free(m->cancel_reason);
	free(m->message);
	*m = (struct etcd_json_watch_msg){0};
}

static int
event_parse(const cJSON *j, struct etcd_json_event *ret)
{
	const cJSON *type;
	int r = 0;
	const cJSON *kv;
	bool del = false;

	if (!cJSON_IsObject(j))
		return -EBADMSG;
	type = cJSON_GetObjectItemCaseSensitive(j, "type");
	if (cJSON_IsString(type) && strcmp(type->valuestring, "DELETE") == 0)
		del = true;
	else if (cJSON_IsNumber(type) && type->valuedouble == 1)
		del = true;
	else if (type != NULL && !(cJSON_IsString(type) && strcmp(type->valuestring, "PUT") == 0) &&
	         !(cJSON_IsNumber(type) && type->valuedouble == 0))
		return -EBADMSG;
	kv = member(j, "kv", cJSON_Object, &r);
	if (kv == NULL)
		return -EBADMSG;
	r = kv_parse(kv, &ret->kv);
	if (r == 0)
		ret->is_delete = del;
	return r;
}

static int
events_parse(const cJSON *res, struct etcd_json_watch_msg *m)
{
	int r = 0;
	const cJSON *arr = member(res, "events", cJSON_Array, &r), *j;
	size_t n = (size_t)cJSON_GetArraySize(arr);

	if (r < 0 || arr == NULL || n == 0)
		return r;
	m->events = calloc(n, sizeof(*m->events));
	if (m->events == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(j, arr)
	{
		r = event_parse(j, &m->events[m->n_events]);
		if (r < 0)
			return r;
		m->n_events++;
	}
	return 0;
}

static int
result_fill(const cJSON *res, struct etcd_json_watch_msg *m)
{
	int r;

	r = header_revision(res, &m->revision);
	if (r == 0)
		r = get_int64(res, "watch_id", &m->watch_id);
	if (r == 0)
		r = get_bool(res, "created", &m->created);
	if (r == 0)
		r = get_bool(res, "canceled", &m->canceled);
	if (r == 0)
		r = get_bool(res, "fragment", &m->fragment);
	if (r == 0)
		r = get_int64(res, "compact_revision", &m->compact_revision);
	if (r == 0)
		r = get_string(res, "cancel_reason", &m->cancel_reason);
	if (r == 0)
		r = events_parse(res, m);
	return r;
}

int
etcd_json_watch_msg_parse(const void *buf, size_t len, struct etcd_json_watch_msg *ret)
{
	struct etcd_json_watch_msg m = {.size = len};
	cJSON *root = NULL;
	const cJSON *res;
	int r;

	r = parse_object(buf, len, ETCD_JSON_MESSAGE_MAX, &root);
	if (r < 0)
		return r;
	r = error_parse(root, &m.failed, &m.code, &m.message);
	if (r == 0) {
		res = member(root, "result", cJSON_Object, &r);
		if (r == 0 && res == NULL)
			r = -EBADMSG;
		if (r == 0)
			r = result_fill(res, &m);
	}
	cjson_parse_free(root);
	if (r < 0) {
		etcd_json_watch_msg_done(&m);
		return r;
	}
	*ret = m;
	return 0;
}

int
etcd_json_watch_msg_merge(struct etcd_json_watch_msg *into, struct etcd_json_watch_msg *from)
{
	struct etcd_json_event *p;
	size_t n = into->n_events + from->n_events;

	if (into->size > ETCD_JSON_BATCH_MAX || from->size > ETCD_JSON_BATCH_MAX - into->size)
		return -EMSGSIZE;
	if (from->n_events > 0) {
		p = realloc(into->events, n * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		memcpy(p + into->n_events, from->events, from->n_events * sizeof(*p));
		into->events = p;
		into->n_events = n;
		free(from->events);
		from->events = NULL;
		from->n_events = 0;
	}
	into->size += from->size;
	into->revision = from->revision;
	into->fragment = from->fragment;
	return 0;
}

/* ---- the stream ---- */

void
etcd_json_stream_init(struct etcd_json_stream *s)
{
	*s = (struct etcd_json_stream){0};
}

void
etcd_json_stream_done(struct etcd_json_stream *s)
{
	free(s->buf);
	etcd_json_stream_init(s);
}

size_t
etcd_json_stream_pending(const struct etcd_json_stream *s)
{
	return s->len;
}

int
etcd_json_stream_feed(struct etcd_json_stream *s, const void *p, size_t n)
{
	size_t need;

	if (n > ETCD_JSON_STREAM_MAX - s->len)
		return -ENOBUFS;
	if (s->start > 0 && s->start + s->len + n > s->alloc) {
		memmove(s->buf, s->buf + s->start, s->len);
		s->start = 0;
	}
	need = s->start + s->len + n;
	if (need > s->alloc) {
		size_t a = s->alloc > 0 ? s->alloc : 4096;
		char *b;

		while (a < need)
			a *= 2;
		b = realloc(s->buf, a);
		if (b == NULL)
			return -ENOMEM;
		s->buf = b;
		s->alloc = a;
	}
	if (n > 0)
		memcpy(s->buf + s->start + s->len, p, n);
	s->len += n;
	return 0;
}

/* Skip leading blank lines; true if something else is buffered. */
static bool
stream_skip_blank(struct etcd_json_stream *s)
{
	while (s->len > 0 && strchr(" \t\r\n", s->buf[s->start]) != NULL) {
		s->start++;
		s->len--;
		if (s->scanned > 0)
			s->scanned--;
	}
	if (s->len == 0)
		s->start = 0;
	return s->len > 0;
}

int
etcd_json_stream_next(struct etcd_json_stream *s, struct etcd_json_watch_msg *ret)
{
	const char *line, *nl;
	size_t n;
	int r;

	if (!stream_skip_blank(s))
		return 0;
	line = s->buf + s->start;
	nl = memchr(line + s->scanned, '\n', s->len - s->scanned);
	if (nl == NULL) {
		s->scanned = s->len;
		return s->len > ETCD_JSON_MESSAGE_MAX ? -EMSGSIZE : 0;
	}
	n = (size_t)(nl - line);
	s->start += n + 1;
	s->len -= n + 1;
	s->scanned = 0;
	if (n > ETCD_JSON_MESSAGE_MAX)
		return -EMSGSIZE;
	r = etcd_json_watch_msg_parse(line, n, ret);
	return r < 0 ? r : 1;
}
