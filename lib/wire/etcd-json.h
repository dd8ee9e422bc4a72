/*
 * etcd v3's JSON gateway, the pure half of daemon/etcd.c: base64, the
 * request bodies, the replies and the watch stream.  No I/O.
 *
 * Keys and values travel base64-encoded; int64 fields travel as JSON
 * strings ("5"), which is what the builders write and what the parsers
 * expect (a JSON number holding an exact integer is accepted too).
 *
 * Everything parsed is untrusted: wrong types, bad base64, absurd numbers
 * and oversized inputs fail with -EBADMSG (-EMSGSIZE for a size cap) and
 * leave the ret_* argument untouched.
 */
#ifndef NETBOOTD_ETCD_JSON_H
#define NETBOOTD_ETCD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Caps.  A unary reply may be a range over a whole prefix (16 shards of up
 * to 1.5 MiB); watches ask etcd for fragments, so one stream message stays
 * near etcd's request cap (1.5 MiB of protobuf, at most a few times that in
 * JSON), and the fragments of one batch together stay under the batch cap.
 */
#define ETCD_JSON_REPLY_MAX   (64u * 1024 * 1024)
#define ETCD_JSON_MESSAGE_MAX (16u * 1024 * 1024)
#define ETCD_JSON_BATCH_MAX   (64u * 1024 * 1024)
/* What the stream buffers at most: one message and a read's worth more. */
#define ETCD_JSON_STREAM_MAX (ETCD_JSON_MESSAGE_MAX + 1024 * 1024)

/* ---- base64 (RFC 4648, with padding: what Go's encoding/json writes) ---- */

/* Strict: padding as required, no whitespace, no stray bits.  *ret is
 * NUL-terminated after *ret_len bytes. */
int etcd_json_base64_decode(const char *s, size_t len, char **ret, size_t *ret_len);
int etcd_json_base64_encode(const void *p, size_t len, char **ret);

/* ---- request bodies (malloc'd JSON text in *ret) ---- */

/*
 * Keys are non-empty C strings.  range_end: NULL for the single key, ""
 * for "every key from 'key' on" (etcd's "\0"), else the exclusive end.
 * -EINVAL for an empty key, -ENOMEM.
 */
int etcd_json_range_build(const char *key, const char *range_end, int64_t revision, char **ret);
int etcd_json_put_build(
    const char *key, const void *value, size_t value_len, int64_t lease, char **ret);
int etcd_json_delete_build(const char *key, const char *range_end, char **ret);

enum etcd_json_cmp_target {
	ETCD_JSON_CMP_MOD,
	ETCD_JSON_CMP_VERSION,
	ETCD_JSON_CMP_CREATE,
	ETCD_JSON_CMP_VALUE
};
enum etcd_json_cmp_result {
	ETCD_JSON_CMP_EQUAL,
	ETCD_JSON_CMP_NOT_EQUAL,
	ETCD_JSON_CMP_LESS,
	ETCD_JSON_CMP_GREATER
};
struct etcd_json_cmp {
	const char *key;
	enum etcd_json_cmp_target target;
	enum etcd_json_cmp_result result;
	int64_t number;
	const char *value;
	size_t value_len;
};
enum etcd_json_op_type { ETCD_JSON_OP_PUT, ETCD_JSON_OP_DELETE, ETCD_JSON_OP_RANGE };
struct etcd_json_op {
	enum etcd_json_op_type type;
	const char *key;
	const char *range_end;
	const char *value;
	size_t value_len;
	int64_t lease;
};
struct etcd_json_txn {
	const struct etcd_json_cmp *compares;
	size_t n_compares;
	const struct etcd_json_op *success, *failure;
	size_t n_success, n_failure;
};
/* -EINVAL for an empty key or an unknown enum value anywhere. */
int etcd_json_txn_build(const struct etcd_json_txn *t, char **ret);

/* A watch's create_request from start_revision (0: from now), with
 * progress notifications and fragments. */
int etcd_json_watch_build(
    const char *key, const char *range_end, int64_t start_revision, char **ret);
int etcd_json_lease_grant_build(int64_t ttl, char **ret);
/* {"ID": id}: the body of both a keepalive and a revoke. */
int etcd_json_lease_id_build(int64_t id, char **ret);
int etcd_json_auth_build(const char *name, const char *password, char **ret);

/* ---- replies ---- */

struct etcd_json_kv {
	char *key; /* malloc'd, NUL-terminated after key_len bytes */
	size_t key_len;
	char *value; /* malloc'd, NUL-terminated after value_len bytes ("" if none) */
	size_t value_len;
	int64_t create_revision, mod_revision, version, lease;
};
void etcd_json_kv_done(struct etcd_json_kv *kv);

/*
 * Any unary reply: range, put, deleterange, txn, lease grant, keepalive
 * (wrapped in "result"), revoke, authenticate; or an error object
 * {"error": "...", "code": N, "message": "..."}, which parses fine and
 * sets 'failed'.  A txn's range responses' kvs are appended to 'kvs' in
 * order.  Fields a reply lacks are 0 / NULL.
 */
struct etcd_json_reply {
	int64_t revision; /* header.revision */
	bool succeeded;   /* txn */
	struct etcd_json_kv *kvs;
	size_t n_kvs;
	int64_t count;
	int64_t id, ttl; /* lease */
	char *token;     /* authenticate */
	bool failed;     /* an error object: */
	int code;        /* its gRPC code (14 unavailable, 16 unauthenticated, ...) */
	char *message;   /* its message (never NULL when failed) */
};
int etcd_json_reply_parse(const void *buf, size_t len, struct etcd_json_reply *ret);
void etcd_json_reply_done(struct etcd_json_reply *r);

/* ---- the watch stream ---- */

struct etcd_json_event {
	bool is_delete;
	struct etcd_json_kv kv;
};

/* One message of the stream: {"result": {...}} or {"error": ...}. */
struct etcd_json_watch_msg {
	int64_t revision; /* header.revision */
	int64_t watch_id;
	bool created, canceled, fragment;
	int64_t compact_revision; /* > 0: canceled because etcd compacted past the start */
	char *cancel_reason;      /* or NULL */
	struct etcd_json_event *events;
	size_t n_events;
	size_t size; /* the JSON text's length (for the batch cap) */
	bool failed; /* an error object: */
	int code;
	char *message;
};
int etcd_json_watch_msg_parse(const void *buf, size_t len, struct etcd_json_watch_msg *ret);
void etcd_json_watch_msg_done(struct etcd_json_watch_msg *m);
/*
 * Append the events of fragment 'from' to 'into' (which takes its revision,
 * fragment flag and size sum); 'from' is left empty.  -EMSGSIZE past
 * ETCD_JSON_BATCH_MAX, -ENOMEM; either leaves both unchanged.
 */
int etcd_json_watch_msg_merge(struct etcd_json_watch_msg *into, struct etcd_json_watch_msg *from);

/*
 * Newline-separated messages arriving in chunks split anywhere.  feed()
 * copies a chunk (-ENOBUFS, nothing copied, when the buffer would pass
 * ETCD_JSON_STREAM_MAX: consume with next() first); next() returns 1 with
 * a message, 0 when no complete one is buffered, -EBADMSG for a bad one
 * (consumed: the stream may go on), -EMSGSIZE when the pending message
 * passes ETCD_JSON_MESSAGE_MAX (the stream is beyond repair).
 */
struct etcd_json_stream {
	char *buf;
	size_t start, len, alloc;
	size_t scanned; /* bytes after 'start' known to hold no newline */
};
void etcd_json_stream_init(struct etcd_json_stream *s);
int etcd_json_stream_feed(struct etcd_json_stream *s, const void *p, size_t n);
int etcd_json_stream_next(struct etcd_json_stream *s, struct etcd_json_watch_msg *ret);
/* Bytes buffered and not yet returned. */
size_t etcd_json_stream_pending(const struct etcd_json_stream *s);
void etcd_json_stream_done(struct etcd_json_stream *s);

#endif
