/*
 * An asynchronous etcd v3 client on the event loop: libcurl's multi
 * interface driven by libevent, speaking etcd's JSON gateway (POST
 * /v3/kv/range, /v3/kv/put, /v3/kv/deleterange, /v3/kv/txn, /v3/watch,
 * /v3/lease/grant, /v3/lease/keepalive, /v3/lease/revoke,
 * /v3/auth/authenticate).  The request bodies and the parsing of the
 * replies are lib/wire/etcd-json.c (pure, fuzzed); this file owns the
 * sockets, the endpoints, the token and the watches.
 *
 * Keys and values are byte strings (the gateway base64-encodes them; this
 * API does not).  Every call returns 0 (queued: the callback runs later,
 * exactly once, on the loop thread, never from inside the call) or -errno
 * (nothing queued, no callback).  A request whose endpoint fails to connect
 * or answers 5xx is retried on the next endpoint, each endpoint at most
 * once per request; when all failed the callback gets -EHOSTUNREACH
 * ("unavailable").  Timeouts: connect ETCD_CONNECT_TIMEOUT_MS, a whole
 * unary request ETCD_REQUEST_TIMEOUT_MS.
 *
 * Reachability: the client is "up" after any successful request, "down"
 * after a request failed on every endpoint or a watch could not be
 * re-established; each change calls the state callback once (so the caller
 * logs once).  While down, the client keeps trying to re-establish its
 * watches (backoff 100 ms doubling to 2 s), which brings it back up.
 *
 * Added by the implementation (etcd.c), nothing above changed:
 *  - libcurl is loaded when needed (curl-dl.h): etcd_new() calls
 *    curl_dl_open() and fails with -EOPNOTSUPP when libcurl cannot be
 *    loaded (call curl_dl_open() before it for the reason).
 *  - Errors besides those in struct etcd_result: -EIO (the connection broke
 *    after a put/delete/txn/grant was sent: it may have been applied; reads,
 *    keepalives and revokes are retried instead), -ENOENT (etcd: not found,
 *    e.g. revoking an unknown lease), -ESTALE (a range at a compacted
 *    revision), -ERANGE (a future revision), -EINVAL (etcd refused the
 *    request, e.g. too many txn operations), -ENOSPC (etcd's quota).  Calls
 *    return -EINVAL (empty key), -EMSGSIZE (value over ETCD_VALUE_MAX) or
 *    -ECANCELED (inside etcd_free()).  A timed-out request is not retried
 *    elsewhere (it may have been applied), but the next request starts on
 *    the next endpoint.
 *  - range_end "" means every key from 'key' on (etcd's "\0");
 *    etcd_prefix_end() returns it for "" and for prefixes of 0xff bytes.
 *  - The state callback runs on the loop like the others; the first outcome
 *    (up or down) is reported too.  Unauthenticated replies get one new
 *    token per request (watches: per stream) and are retried with it.
 *  - A watch that ended with an error (-ESTALE, -EACCES, -ENOMEM, -EMSGSIZE
 *    when one revision's events pass 64 MiB) stays allocated until
 *    etcd_watch_stop().  etcd_free() calls the callbacks of the watches
 *    still running with -ECANCELED and frees every watch: do not stop them
 *    after it.  A watch's callback never runs with 0 and no events; the
 *    watch asks etcd for progress notifications (they move its resume
 *    revision) and for fragments (reassembled before the callback).
 */
#ifndef NETBOOTD_ETCD_H
#define NETBOOTD_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

#define ETCD_CONNECT_TIMEOUT_MS 1000
#define ETCD_REQUEST_TIMEOUT_MS 5000
#define ETCD_VALUE_MAX          (1536 * 1024) /* etcd's default request cap */

struct etcd;

struct etcd_options {
	const char *const *endpoints; /* "http://127.0.0.1:2379", "https://..."; at least one */
	size_t n_endpoints;
	const char *ca, *cert, *key;     /* PEM paths or NULL */
	const char *username, *password; /* both or neither */
};

struct etcd_kv {
	char *key; /* NUL-terminated (keys are text here) */
	size_t key_len;
	char *value; /* NUL-terminated after value_len bytes; "" for a delete event */
	size_t value_len;
	int64_t create_revision, mod_revision, version, lease;
};

/* What a request produced.  Borrowed by the callback: copy what you keep. */
struct etcd_result {
	int error; /* 0, or -EHOSTUNREACH, -ETIMEDOUT, -EACCES (auth), -EBADMSG, -ENOMEM, -ECANCELED */
	const char *message;       /* on error: what etcd or the transport said; else NULL */
	int64_t revision;          /* header.revision */
	bool succeeded;            /* txn: the compares held */
	const struct etcd_kv *kvs; /* range (and a txn's range responses, in order) */
	size_t n_kvs;
	int64_t count;    /* range: how many keys matched */
	int64_t lease_id; /* lease grant / keepalive */
	int64_t ttl;      /* lease grant / keepalive: seconds left; <= 0 when the lease is gone */
};

typedef void (*etcd_done_fn)(const struct etcd_result *r, void *userdata);
/* up: reachable again / unreachable ('why' says the last error). */
typedef void (*etcd_state_fn)(bool up, const char *why, void *userdata);

int etcd_new(struct event_base *base, const struct etcd_options *opt, struct etcd **ret);
/* Cancels everything: pending callbacks run with -ECANCELED before it returns. */
void etcd_free(struct etcd *e);
void etcd_set_state_callback(struct etcd *e, etcd_state_fn fn, void *userdata);
bool etcd_is_up(const struct etcd *e);

/*
 * Keys from 'key' to 'range_end' (exclusive; NULL: the single key; ""
 * impossible) at 'revision' (0: latest).  etcd_prefix_end() gives the
 * range_end of a prefix.
 */
int etcd_range(struct etcd *e, const char *key, const char *range_end, int64_t revision,
    etcd_done_fn fn, void *userdata);
/* The range_end that covers every key starting with 'prefix'; malloc'd. */
char *etcd_prefix_end(const char *prefix);
int etcd_put(struct etcd *e, const char *key, const char *value, size_t len, int64_t lease,
    etcd_done_fn fn, void *userdata);
/* range_end as for etcd_range(). */
int etcd_delete(
    struct etcd *e, const char *key, const char *range_end, etcd_done_fn fn, void *userdata);

/* A transaction: compares, then the success or failure operations. */
enum etcd_cmp_target { ETCD_CMP_MOD, ETCD_CMP_VERSION, ETCD_CMP_CREATE, ETCD_CMP_VALUE };
enum etcd_cmp_result { ETCD_CMP_EQUAL, ETCD_CMP_NOT_EQUAL, ETCD_CMP_LESS, ETCD_CMP_GREATER };
struct etcd_cmp {
	const char *key;
	enum etcd_cmp_target target;
	enum etcd_cmp_result result;
	int64_t number;    /* MOD / VERSION / CREATE */
	const char *value; /* VALUE */
	size_t value_len;
};
enum etcd_op_type { ETCD_OP_PUT, ETCD_OP_DELETE, ETCD_OP_RANGE };
struct etcd_op {
	enum etcd_op_type type;
	const char *key;
	const char *range_end; /* DELETE / RANGE: as for etcd_range() */
	const char *value;     /* PUT */
	size_t value_len;
	int64_t lease; /* PUT: 0 none */
};
struct etcd_txn {
	const struct etcd_cmp *compares;
	size_t n_compares;
	const struct etcd_op *success, *failure;
	size_t n_success, n_failure;
};
/* The txn is serialized at once: the caller may free it after the call. */
int etcd_txn(struct etcd *e, const struct etcd_txn *t, etcd_done_fn fn, void *userdata);

/* Leases.  keepalive: one renewal; ttl <= 0 in the result when the lease expired. */
int etcd_lease_grant(struct etcd *e, int64_t ttl, etcd_done_fn fn, void *userdata);
int etcd_lease_keepalive(struct etcd *e, int64_t id, etcd_done_fn fn, void *userdata);
int etcd_lease_revoke(struct etcd *e, int64_t id, etcd_done_fn fn, void *userdata);

/*
 * A watch of [key, range_end) from start_revision (0: from now).  Events
 * arrive in revision order, batched as etcd sends them: 'events' (PUT with
 * the value, DELETE with value_len 0) at 'revision' (the header's).  A
 * stream that breaks is re-established from the last revision seen + 1,
 * on any endpoint, without telling the caller; if etcd has compacted past
 * that revision the callback gets error -ESTALE (and 'revision' =
 * compact_revision) and the watch is over: the caller re-reads and starts
 * a new one.
 */
enum etcd_event_type { ETCD_EVENT_PUT, ETCD_EVENT_DELETE };
struct etcd_event {
	enum etcd_event_type type;
	struct etcd_kv kv;
};
typedef void (*etcd_watch_fn)(
    int error, const struct etcd_event *events, size_t n_events, int64_t revision, void *userdata);
struct etcd_watch;
int etcd_watch_start(struct etcd *e, const char *key, const char *range_end, int64_t start_revision,
    etcd_watch_fn fn, void *userdata, struct etcd_watch **ret);
/* Stops it; no callback after this.  NULL is fine. */
void etcd_watch_stop(struct etcd_watch *w);

#endif
