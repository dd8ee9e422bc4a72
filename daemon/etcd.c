/*
 * The etcd v3 client (etcd.h): libcurl's multi interface on libevent.
 *
 * Every transfer (a unary request's attempt on one endpoint, or a watch
 * stream) is a curl easy handle in one multi handle; curl tells us which
 * sockets to poll and when its timer fires, and we run curl_multi_socket_action()
 * from the loop.  Nothing here calls the caller back from inside curl or
 * from inside an API function: finished requests queue on 'done' and a
 * dispatch event delivers them one per loop turn; a watch buffers the bytes
 * curl hands it and its own event parses and delivers them.  Either way the
 * caller may free the client, stop a watch or start requests from a
 * callback.
 */
#include "etcd.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"
#include "curl-dl.h"
#include "etcd-json.h"
#include "log.h"
#include "util.h"

#define GRPC_UNAVAILABLE     14
#define GRPC_UNAUTHENTICATED 16
#define WATCH_BACKOFF_MIN_MS 100
#define WATCH_BACKOFF_MAX_MS 2000

enum xfer_kind { XFER_REQ, XFER_WATCH };

enum req_kind {
	REQ_RANGE,
	REQ_PUT,
	REQ_DELETE,
	REQ_TXN,
	REQ_GRANT,
	REQ_KEEPALIVE,
	REQ_REVOKE,
	REQ_AUTH,
	_REQ_MAX
};

static const struct {
	const char *path;
	bool idempotent; /* safe to send again after a connection broke mid-request */
} req_kinds[_REQ_MAX] = {
    [REQ_RANGE] = {"/v3/kv/range", true},
    [REQ_PUT] = {"/v3/kv/put", false},
    [REQ_DELETE] = {"/v3/kv/deleterange", false},
    [REQ_TXN] = {"/v3/kv/txn", false},
    [REQ_GRANT] = {"/v3/lease/grant", false},
    [REQ_KEEPALIVE] = {"/v3/lease/keepalive", true},
    [REQ_REVOKE] = {"/v3/lease/revoke", true},
    [REQ_AUTH] = {"/v3/auth/authenticate", true},
};

TAILQ_HEAD(req_list, etcd_req);

struct etcd_req {
	enum xfer_kind xfer; /* first: what CURLOPT_PRIVATE points at */
	TAILQ_ENTRY(etcd_req) link;
	struct req_list *on; /* running, waiting (for a token) or done */
	struct etcd *e;
	enum req_kind kind;
	char *body;
	etcd_done_fn fn;
	void *userdata;
	CURL *easy;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	char *resp;
	size_t resp_len, resp_alloc;
	bool resp_too_big;
	size_t ep, tried;
	unsigned token_gen;
	bool reauthed;
	uint64_t deadline;
	/* The outcome. */
	int error;
	char *message;
	struct etcd_json_reply reply;
	struct etcd_kv *kvs;
};

struct etcd_watch {
	enum xfer_kind xfer;
	TAILQ_ENTRY(etcd_watch) link;
	struct etcd *e;
	char *key, *range_end;
	int64_t next_rev; /* where a new stream starts; 0: from now */
	etcd_watch_fn fn;
	void *userdata;
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	char errbuf[CURL_ERROR_SIZE];
	struct etcd_json_stream stream;
	struct etcd_json_watch_msg batch; /* fragments so far */
	bool have_batch;
	struct event ev; /* deferred work and the back-off timer */
	size_t ep;
	unsigned fails, backoff_ms;
	uint64_t retry_at;
	unsigned token_gen;
	bool created, paused, ended, xfer_done, waiting_auth, reauthed;
	bool over, stopped, busy, dead;
	int terminal; /* an error to deliver, then the watch is over */
	int64_t terminal_rev;
	char why[256];
};
TAILQ_HEAD(watch_list, etcd_watch);

struct etcd_sock {
	struct event ev;
	struct etcd *e;
	TAILQ_ENTRY(etcd_sock) link;
};

struct etcd {
	struct event_base *base;
	CURLM *multi;
	struct event timer, dispatch;
	char **endpoints;
	size_t n_endpoints, preferred;
	char *ca, *cert, *key, *username, *password;
	char *token;
	unsigned token_gen;
	struct etcd_req *auth;
	int state, reported; /* -1 unknown, 0 down, 1 up */
	char why[256];
	etcd_state_fn state_fn;
	void *state_userdata;
	struct req_list running, waiting, done;
	struct watch_list watches;
	TAILQ_HEAD(, etcd_sock) socks;
	bool freeing;
};

static void
ms_to_tv(uint64_t ms, struct timeval *tv)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)(ms % 1000 * 1000);
}

/* Copy as much of 'src' as fits (truncating is fine for messages). */
static void
text_copy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memmove(dst, src, n);
	dst[n] = '\0';
}

/* ---- reachability ---- */

static void
state_set(struct etcd *e, bool up, const char *why)
{
	int s = up ? 1 : 0;

	if (!up && why != NULL)
		text_copy(e->why, sizeof(e->why), why);
	if (e->state == s)
		return;
	e->state = s;
	if (up)
		e->why[0] = '\0';
	event_active(&e->dispatch, EV_TIMEOUT, 0);
}

/* gRPC status codes (what the gateway passes on) as -errno. */
static int
grpc_errno(int code, const char *message)
{
	switch (code) {
	case 3: /* InvalidArgument; etcd says so for bad passwords and missing tokens */
		if (strstr(message, "authentication failed") != NULL ||
		    strstr(message, "user name is empty") != NULL)
			return -EACCES;
		return -EINVAL;
	case 4:
		return -ETIMEDOUT;
	case 5:
		return -ENOENT;
	case 6:
		return -EEXIST;
	case 7:
	case GRPC_UNAUTHENTICATED:
		return -EACCES;
	case 8:
		return -ENOSPC;
	case 9:
		return -EINVAL;
	case 11: /* OutOfRange: a compacted or a future revision */
		return strstr(message, "compacted") != NULL ? -ESTALE : -ERANGE;
	case GRPC_UNAVAILABLE:
		return -EHOSTUNREACH;
	default:
		return -EIO;
	}
}

/* ---- curl on libevent ---- */

static void check_done(struct etcd *e);

static void
on_sock(evutil_socket_t fd, short what, void *arg)
{
	struct etcd_sock *s = arg;
	struct etcd *e = s->e; /* 's' may be gone after the action */
	int action =
	    (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
	int running;

	sym_curl_multi_socket_action(e->multi, fd, action, &running);
	check_done(e);
}

static int
curl_sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct etcd *e = userp;
	struct etcd_sock *s = socketp;
	short flags = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			event_del(&s->ev);
			TAILQ_REMOVE(&e->socks, s, link);
			free(s);
			sym_curl_multi_assign(e->multi, fd, NULL);
		}
		return 0;
	}
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return -1;
		s->e = e;
		TAILQ_INSERT_TAIL(&e->socks, s, link);
		sym_curl_multi_assign(e->multi, fd, s);
	} else
		event_del(&s->ev);
	flags |= (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);
	event_assign(&s->ev, e->base, fd, flags, on_sock, s);
	event_add(&s->ev, NULL);
	return 0;
}

static int
curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct etcd *e = userp;
	struct timeval tv;

	if (timeout_ms < 0) {
		evtimer_del(&e->timer);
		return 0;
	}
	ms_to_tv((uint64_t)timeout_ms, &tv);
	evtimer_add(&e->timer, &tv);
	return 0;
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct etcd *e = arg;
	int running;

	sym_curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(e);
}

/*
 * Unacknowledged data or keepalive probes give up after TCP_USER_TIMEOUT_MS:
 * a watch on a peer that vanished without a FIN or RST (a partition) ends
 * within about that long instead of the kernel's quarter of an hour.
 */
#define TCP_USER_TIMEOUT_MS 20000

static int
xfer_sockopt(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
	unsigned timeout = TCP_USER_TIMEOUT_MS;

	if (purpose == CURLSOCKTYPE_IPCXN)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout, sizeof(timeout));
	return CURL_SOCKOPT_OK;
}

/* The options every transfer shares: endpoint + path, the JSON body, TLS, the token. */
static int
xfer_setup(struct etcd *e, CURL *easy, size_t ep, const char *path, const char *body,
    struct curl_slist **headers, char *errbuf, void *priv)
{
	_cleanup_free_ char *url = NULL, *auth = NULL;
	struct curl_slist *h = NULL, *t;
	bool ok = true;

	if (asprintf(&url, "%s%s", e->endpoints[ep], path) < 0)
		return -ENOMEM;
	if (e->token != NULL && asprintf(&auth, "Authorization: %s", e->token) < 0)
		return -ENOMEM;
	/* No "Expect: 100-continue" round trip; a watch wants a member with a leader. */
	const char *hs[] = {
	    "Content-Type: application/json", "Expect:", "Grpc-Metadata-hasleader: true", auth};
	for (size_t i = 0; i < ELEMENTSOF(hs) && hs[i] != NULL; i++) {
		t = sym_curl_slist_append(h, hs[i]);
		if (t == NULL) {
			sym_curl_slist_free_all(h);
			return -ENOMEM;
		}
		h = t;
	}
	*headers = h;
	ok =
	    sym_curl_easy_setopt(easy, CURLOPT_URL, url) == CURLE_OK &&
	    sym_curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)strlen(body)) == CURLE_OK &&
	    sym_curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body) == CURLE_OK &&
	    sym_curl_easy_setopt(easy, CURLOPT_SOCKOPTFUNCTION, xfer_sockopt) == CURLE_OK &&
	    sym_curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h) == CURLE_OK &&
	    sym_curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
	    sym_curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	    sym_curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)ETCD_CONNECT_TIMEOUT_MS) ==
	        CURLE_OK &&
	    sym_curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK &&
	    sym_curl_easy_setopt(easy, CURLOPT_PRIVATE, priv) == CURLE_OK &&
	    (e->ca == NULL || sym_curl_easy_setopt(easy, CURLOPT_CAINFO, e->ca) == CURLE_OK) &&
	    (e->cert == NULL || sym_curl_easy_setopt(easy, CURLOPT_SSLCERT, e->cert) == CURLE_OK) &&
	    (e->key == NULL || sym_curl_easy_setopt(easy, CURLOPT_SSLKEY, e->key) == CURLE_OK);
	errbuf[0] = '\0';
	return ok ? 0 : -EINVAL;
}

/* A transport error that happened before the request reached etcd: try the next endpoint. */
static bool
curl_failed_to_connect(CURL *easy, CURLcode res)
{
	long sent = 0;

	switch (res) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return true;
	case CURLE_OPERATION_TIMEDOUT:
		sym_curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &sent);
		return sent == 0;
	default:
		return false;
	}
}

/* ---- unary requests ---- */

static void
req_move(struct etcd_req *r, struct req_list *to)
{
	if (r->on != NULL)
		TAILQ_REMOVE(r->on, r, link);
	r->on = to;
	if (to != NULL)
		TAILQ_INSERT_TAIL(to, r, link);
}

static void req_free(struct etcd_req *r);
static int req_attempt(struct etcd_req *r);
static void auth_done(struct etcd *e, struct etcd_req *r);
static int auth_kick(struct etcd *e);
static void watch_auth_ready(struct etcd *e, int error, const char *why);

static size_t
req_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct etcd_req *r = userdata;
	size_t n = size * nmemb, a;
	char *p;

	if (n > ETCD_JSON_REPLY_MAX - r->resp_len) {
		r->resp_too_big = true;
		return 0;
	}
	if (r->resp_len + n > r->resp_alloc) {
		for (a = r->resp_alloc > 0 ? r->resp_alloc : 1024; a < r->resp_len + n; a *= 2)
			;
		p = realloc(r->resp, a);
		if (p == NULL)
			return 0;
		r->resp = p;
		r->resp_alloc = a;
	}
	memcpy(r->resp + r->resp_len, ptr, n);
	r->resp_len += n;
	return n;
}

/* The outcome is known: queue the callback (or finish the authentication). */
static void __attribute__((format(printf, 3, 4)))
req_finish(struct etcd_req *r, int error, const char *fmt, ...)
{
	struct etcd *e = r->e;
	va_list ap;

	r->error = error;
	if (error != 0 && fmt != NULL) {
		va_start(ap, fmt);
		if (vasprintf(&r->message, fmt, ap) < 0)
			r->message = NULL;
		va_end(ap);
	}
	if (r->kind == REQ_AUTH) {
		req_move(r, NULL);
		auth_done(e, r);
		return;
	}
	req_move(r, &e->done);
	event_active(&e->dispatch, EV_TIMEOUT, 0);
}

/* This endpoint failed before etcd could act on the request: the next one, or give up. */
static void
req_failover(struct etcd_req *r, const char *why)
{
	struct etcd *e = r->e;
	int k;

	log_debug(
	    NULL, "etcd: %s failed on %s: %s", req_kinds[r->kind].path, e->endpoints[r->ep], why);
	snprintf(e->why, sizeof(e->why), "%s: %s", e->endpoints[r->ep], why);
	if (++r->tried >= e->n_endpoints) {
		state_set(e, false, e->why);
		req_finish(r, -EHOSTUNREACH, "etcd unavailable (last error: %s)", e->why);
		return;
	}
	if (((uint64_t)clock_ms(CLOCK_MONOTONIC)) >= r->deadline) {
		req_finish(r, -ETIMEDOUT, "etcd did not answer within %d ms (last error: %s)",
		    ETCD_REQUEST_TIMEOUT_MS, e->why);
		return;
	}
	r->ep = (r->ep + 1) % e->n_endpoints;
	k = req_attempt(r);
	if (k < 0)
		req_finish(r, k, "cannot start a request: %s", strerror(-k));
}

static int
req_success(struct etcd_req *r, struct etcd_json_reply *rep)
{
	r->reply = *rep;
	*rep = (struct etcd_json_reply){0};
	if (r->reply.n_kvs > 0) {
		r->kvs = calloc(r->reply.n_kvs, sizeof(*r->kvs));
		if (r->kvs == NULL)
			return -ENOMEM;
	}
	for (size_t i = 0; i < r->reply.n_kvs; i++) {
		const struct etcd_json_kv *j = &r->reply.kvs[i];

		r->kvs[i] = (struct etcd_kv){j->key, j->key_len, j->value, j->value_len,
		    j->create_revision, j->mod_revision, j->version, j->lease};
	}
	return 0;
}

/* etcd said the token is no good: authenticate again (once per request), then retry. */
static void
req_reauth(struct etcd_req *r)
{
	struct etcd *e = r->e;
	int k;

	log_debug(NULL, "etcd: the token was refused, authenticating again");
	r->reauthed = true;
	if (r->token_gen == e->token_gen) {
		free(e->token);
		e->token = NULL;
	}
	if (e->token != NULL) /* another request already got a new one */
		k = req_attempt(r);
	else {
		req_move(r, &e->waiting);
		k = auth_kick(e);
	}
	if (k < 0)
		req_finish(r, k, "cannot authenticate again: %s", strerror(-k));
}

/* etcd answered (HTTP status 'status', the body in r->resp). */
static void
req_answered(struct etcd_req *r, long status)
{
	struct etcd *e = r->e;
	struct etcd_json_reply rep = {0};
	int k;

	k = etcd_json_reply_parse(r->resp, r->resp_len, &rep);
	if (k < 0) {
		char why[200];

		/* An unparsable 400: etcd 3.4's gateway refuses a client certificate with a
		 * Common Name once auth is enabled (it logs "CommonName of client ..."). */
		snprintf(why, sizeof(why), "HTTP status %ld, %s reply%s", status,
		    k == -EMSGSIZE ? "an oversized" : "a malformed",
		    status == 400 && e->cert != NULL
		        ? " (with auth enabled, etcd refuses a client certificate that has a "
		          "Common Name)"
		        : "");
		if (status >= 500)
			req_failover(r, why);
		else
			req_finish(r, -EBADMSG, "etcd at %s: %s", e->endpoints[r->ep], why);
		return;
	}
	if (rep.failed && rep.code == GRPC_UNAUTHENTICATED && e->username != NULL &&
	    r->kind != REQ_AUTH && !r->reauthed) {
		etcd_json_reply_done(&rep);
		req_reauth(r);
	} else if (status >= 500 || (rep.failed && rep.code == GRPC_UNAVAILABLE)) {
		char why[300];

		text_copy(why, sizeof(why), rep.failed ? rep.message : "HTTP 5xx");
		etcd_json_reply_done(&rep);
		req_failover(r, why);
	} else if (rep.failed || status != 200) {
		state_set(e, true, NULL);
		req_finish(r, rep.failed ? grpc_errno(rep.code, rep.message) : -EBADMSG, "etcd: %s",
		    rep.failed ? rep.message : "an unexpected HTTP status");
		etcd_json_reply_done(&rep);
	} else {
		e->preferred = r->ep;
		state_set(e, true, NULL);
		k = req_success(r, &rep);
		req_finish(r, k, "out of memory");
	}
}

static void
req_transferred(struct etcd_req *r, CURLcode res)
{
	struct etcd *e = r->e;
	long status = 0;
	char why[CURL_ERROR_SIZE + 64];
	bool unsent = curl_failed_to_connect(r->easy, res);

	sym_curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	text_copy(why, sizeof(why), r->errbuf[0] != '\0' ? r->errbuf : sym_curl_easy_strerror(res));
	sym_curl_multi_remove_handle(e->multi, r->easy);
	sym_curl_easy_cleanup(r->easy);
	r->easy = NULL;
	sym_curl_slist_free_all(r->headers);
	r->headers = NULL;
	if (res == CURLE_OK)
		req_answered(r, status);
	else if (unsent || req_kinds[r->kind].idempotent)
		req_failover(r, why);
	else if (res == CURLE_WRITE_ERROR && r->resp_too_big)
		req_finish(r, -EBADMSG, "etcd at %s: a reply over %u bytes", e->endpoints[r->ep],
		    ETCD_JSON_REPLY_MAX);
	else if (res == CURLE_OPERATION_TIMEDOUT) {
		e->preferred = (r->ep + 1) % e->n_endpoints;
		req_finish(r, -ETIMEDOUT, "etcd at %s did not answer in time: %s",
		    e->endpoints[r->ep], why);
	} else
		req_finish(r, -EIO,
		    "the connection to etcd at %s broke (%s); the request may have been applied",
		    e->endpoints[r->ep], why);
}

/* Send the request to endpoint r->ep. */
static int
req_attempt(struct etcd_req *r)
{
	struct etcd *e = r->e;
	uint64_t now = ((uint64_t)clock_ms(CLOCK_MONOTONIC));
	long left = r->deadline > now ? (long)(r->deadline - now) : 1;
	int k;

	r->resp_len = 0;
	r->resp_too_big = false;
	r->token_gen = e->token_gen;
	r->easy = sym_curl_easy_init();
	if (r->easy == NULL)
		return -ENOMEM;
	k = xfer_setup(
	    e, r->easy, r->ep, req_kinds[r->kind].path, r->body, &r->headers, r->errbuf, r);
	if (k == 0 &&
	    (sym_curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, req_write) != CURLE_OK ||
	        sym_curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r) != CURLE_OK ||
	        sym_curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, left) != CURLE_OK))
		k = -EINVAL;
	if (k == 0 && sym_curl_multi_add_handle(e->multi, r->easy) != CURLM_OK)
		k = -ENOMEM;
	if (k < 0) {
		sym_curl_easy_cleanup(r->easy);
		r->easy = NULL;
		sym_curl_slist_free_all(r->headers);
		r->headers = NULL;
	}
	return k;
}

static struct etcd_req *
req_new(struct etcd *e, enum req_kind kind, char *body, etcd_done_fn fn, void *userdata)
{
	struct etcd_req *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		free(body);
		return NULL;
	}
	r->xfer = XFER_REQ;
	r->e = e;
	r->kind = kind;
	r->body = body;
	r->fn = fn;
	r->userdata = userdata;
	r->ep = e->preferred;
	r->deadline = ((uint64_t)clock_ms(CLOCK_MONOTONIC)) + ETCD_REQUEST_TIMEOUT_MS;
	return r;
}

static void
req_free(struct etcd_req *r)
{
	if (r == NULL)
		return;
	if (r->easy != NULL) {
		sym_curl_multi_remove_handle(r->e->multi, r->easy);
		sym_curl_easy_cleanup(r->easy);
	}
	sym_curl_slist_free_all(r->headers);
	free(r->body);
	free(r->resp);
	free(r->message);
	free(r->kvs);
	etcd_json_reply_done(&r->reply);
	free(r);
}

/* Queue a request whose body 'k' / 'body' a builder made; 0 or -errno (nothing queued). */
static int
req_start(struct etcd *e, enum req_kind kind, int k, char *body, etcd_done_fn fn, void *userdata)
{
	struct etcd_req *r;

	if (k < 0)
		return k;
	if (e->freeing) {
		free(body);
		return -ECANCELED;
	}
	r = req_new(e, kind, body, fn, userdata);
	if (r == NULL)
		return -ENOMEM;
	if (e->username != NULL && e->token == NULL) {
		req_move(r, &e->waiting);
		k = auth_kick(e);
	} else {
		req_move(r, &e->running);
		k = req_attempt(r);
	}
	if (k < 0) {
		req_move(r, NULL);
		req_free(r);
	}
	return k;
}

static void
req_deliver(struct etcd_req *r)
{
	struct etcd_result res = {
	    .error = r->error,
	    .message =
	        r->error != 0 ? (r->message != NULL ? r->message : strerror(-r->error)) : NULL,
	    .revision = r->reply.revision,
	    .succeeded = r->reply.succeeded,
	    .kvs = r->kvs,
	    .n_kvs = r->reply.n_kvs,
	    .count = r->reply.count,
	    .lease_id = r->reply.id,
	    .ttl = r->reply.ttl,
	};

	if (r->fn != NULL)
		r->fn(&res, r->userdata);
}

/* ---- authentication ---- */

static int
auth_kick(struct etcd *e)
{
	char *body = NULL;
	int k;

	if (e->auth != NULL)
		return 0;
	k = etcd_json_auth_build(e->username, e->password, &body);
	if (k < 0)
		return k;
	e->auth = req_new(e, REQ_AUTH, body, NULL, NULL);
	if (e->auth == NULL)
		return -ENOMEM;
	req_move(e->auth, &e->running);
	k = req_attempt(e->auth);
	if (k < 0) {
		req_move(e->auth, NULL);
		req_free(TAKE_PTR(e->auth));
	}
	return k;
}

/* The authentication finished: run or fail what waited for it. */
static void
auth_done(struct etcd *e, struct etcd_req *a)
{
	struct etcd_req *r;
	char why[512];
	int error = a->error;

	e->auth = NULL;
	if (error == 0 && a->reply.token == NULL)
		error = -EBADMSG;
	free(e->token);
	e->token = NULL;
	if (error == 0 && (e->token = strdup(a->reply.token)) == NULL)
		error = -ENOMEM;
	if (error == 0)
		e->token_gen++;
	snprintf(why, sizeof(why), "authentication as \"%s\" failed: %s", e->username,
	    a->message != NULL ? a->message : strerror(-error));
	req_free(a);
	while ((r = TAILQ_FIRST(&e->waiting)) != NULL) {
		int k = error;

		req_move(r, &e->running);
		if (k == 0 && (k = req_attempt(r)) == 0)
			continue;
		req_finish(r, k, "%s", error != 0 ? why : "cannot start a request");
	}
	watch_auth_ready(e, error, why);
}

/* ---- dispatch: callbacks, one per loop turn ---- */

static void
on_dispatch(evutil_socket_t fd, short what, void *arg)
{
	struct etcd *e = arg;
	struct etcd_req *r;

	if (e->state >= 0 && e->state != e->reported) {
		char why[sizeof(e->why)];
		bool up = e->state == 1;

		e->reported = e->state;
		text_copy(why, sizeof(why), up ? "reachable" : e->why);
		if (!TAILQ_EMPTY(&e->done))
			event_active(&e->dispatch, EV_TIMEOUT, 0);
		if (e->state_fn != NULL)
			e->state_fn(up, why, e->state_userdata); /* may free e */
		return;
	}
	r = TAILQ_FIRST(&e->done);
	if (r == NULL)
		return;
	req_move(r, NULL);
	if (!TAILQ_EMPTY(&e->done))
		event_active(&e->dispatch, EV_TIMEOUT, 0);
	r->easy = NULL;
	req_deliver(r); /* may free e: touch only r */
	r->e = NULL;
	req_free(r);
}

/* ---- watches ---- */

static void watch_destroy(struct etcd_watch *w);
static int watch_connect(struct etcd_watch *w);

static void
watch_kick(struct etcd_watch *w)
{
	struct timeval tv = {0, 0};

	evtimer_add(&w->ev, &tv);
}

static size_t
watch_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct etcd_watch *w = userdata;
	size_t n = size * nmemb;
	int k;

	k = etcd_json_stream_feed(&w->stream, ptr, n);
	watch_kick(w);
	if (k == -ENOBUFS) { /* until the loop has consumed what is buffered */
		w->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	return k < 0 ? 0 : n;
}

/* Drop the stream (if any) and forget its half-read bytes. */
static void
watch_close(struct etcd_watch *w)
{
	if (w->easy != NULL) {
		sym_curl_multi_remove_handle(w->e->multi, w->easy);
		sym_curl_easy_cleanup(w->easy);
		w->easy = NULL;
	}
	sym_curl_slist_free_all(w->headers);
	w->headers = NULL;
	etcd_json_stream_done(&w->stream);
	if (w->have_batch)
		etcd_json_watch_msg_done(&w->batch);
	w->have_batch = false;
	w->paused = false;
	w->xfer_done = false;
}

/* The stream failed or ended: the next endpoint, after a back-off once all failed in a row. */
static void __attribute__((format(printf, 2, 3)))
watch_failed(struct etcd_watch *w, const char *fmt, ...)
{
	struct etcd *e = w->e;
	uint64_t delay = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	watch_close(w);
	log_debug(NULL, "etcd: watch of \"%s\" from revision %" PRId64 " on %s: %s", w->key,
	    w->next_rev, e->endpoints[w->ep], w->why);
	if (w->created)
		w->fails = 0; /* it was established: try again at once */
	else if (++w->fails >= e->n_endpoints) {
		char why[sizeof(w->why) + 64];

		snprintf(why, sizeof(why), "%s: %s", e->endpoints[w->ep], w->why);
		state_set(e, false, why);
		delay = w->backoff_ms;
		w->backoff_ms = w->backoff_ms * 2 > WATCH_BACKOFF_MAX_MS ? WATCH_BACKOFF_MAX_MS
		                                                         : w->backoff_ms * 2;
		w->fails = 0;
	}
	w->created = false;
	w->ended = true;
	w->ep = (w->ep + 1) % e->n_endpoints;
	w->retry_at = ((uint64_t)clock_ms(CLOCK_MONOTONIC)) + delay;
	watch_kick(w);
}

/* The watch cannot go on: deliver 'error' (next turn), then nothing more. */
static void
watch_terminate(struct etcd_watch *w, int error, int64_t revision)
{
	watch_close(w);
	w->terminal = error;
	w->terminal_rev = revision;
	watch_kick(w);
}

/* Unauthenticated: a new token (once in a row), then a new stream. */
static void
watch_reauth(struct etcd_watch *w, const char *why)
{
	struct etcd *e = w->e;

	if (e->username == NULL || w->reauthed) {
		watch_terminate(w, -EACCES, 0);
		text_copy(w->why, sizeof(w->why), why);
		return;
	}
	log_debug(
	    NULL, "etcd: the watch of \"%s\" was refused its token, authenticating again", w->key);
	watch_close(w);
	w->reauthed = true;
	if (w->token_gen == e->token_gen) {
		free(e->token);
		e->token = NULL;
	}
	w->waiting_auth = e->token == NULL;
	w->ended = true;
	w->retry_at = 0;
	if (w->waiting_auth && auth_kick(e) < 0)
		watch_failed(w, "cannot authenticate again");
	else if (!w->waiting_auth)
		watch_kick(w);
}

static void
watch_auth_ready(struct etcd *e, int error, const char *why)
{
	struct etcd_watch *w;

	TAILQ_FOREACH(w, &e->watches, link)
	{
		if (!w->waiting_auth)
			continue;
		w->waiting_auth = false;
		if (error == -EACCES) {
			text_copy(w->why, sizeof(w->why), why);
			watch_terminate(w, -EACCES, 0);
		} else if (error != 0)
			watch_failed(w, "%s", why);
		else
			watch_kick(w);
	}
}

static bool
cancel_is_auth(const char *reason)
{
	return strstr(reason, "Unauthenticated") != NULL ||
	       strstr(reason, "invalid auth token") != NULL;
}

/* A canceled or failed stream. */
static void
watch_msg_cancel(struct etcd_watch *w, const struct etcd_json_watch_msg *m)
{
	const char *reason = m->failed          ? m->message
	                     : m->cancel_reason ? m->cancel_reason
	                                        : "canceled";

	if (m->compact_revision > 0) {
		log_debug(NULL,
		    "etcd: watch of \"%s\" wants revision %" PRId64 ", compacted up to %" PRId64,
		    w->key, w->next_rev, m->compact_revision);
		watch_terminate(w, -ESTALE, m->compact_revision);
	} else if ((m->failed && m->code == GRPC_UNAUTHENTICATED) || cancel_is_auth(reason))
		watch_reauth(w, reason);
	else if ((m->failed && m->code == 7) || strstr(reason, "permission denied") != NULL) {
		text_copy(w->why, sizeof(w->why), reason);
		watch_terminate(w, -EACCES, 0);
	} else
		watch_failed(w, "%s", reason);
}

/*
 * One message of the stream.  1: w->batch is complete, deliver it; 0: go
 * on reading; -1: the stream is gone (failed, canceled).
 */
static int
watch_msg(struct etcd_watch *w, struct etcd_json_watch_msg *m)
{
	int k;

	if (m->failed || m->canceled) {
		watch_msg_cancel(w, m);
		return -1;
	}
	if (m->created) {
		w->created = true;
		w->reauthed = false;
		w->fails = 0;
		w->backoff_ms = WATCH_BACKOFF_MIN_MS;
		w->e->preferred = w->ep;
		state_set(w->e, true, NULL);
		if (w->next_rev == 0)
			w->next_rev = m->revision + 1;
	}
	if (m->n_events == 0 && !w->have_batch) {
		/* A progress notification: nothing up to its revision is left to send. */
		if (!m->created && w->created && m->revision >= w->next_rev)
			w->next_rev = m->revision + 1;
		return 0;
	}
	if (!w->have_batch) {
		w->batch = *m;
		*m = (struct etcd_json_watch_msg){0};
		w->have_batch = true;
	} else if ((k = etcd_json_watch_msg_merge(&w->batch, m)) < 0) {
		snprintf(w->why, sizeof(w->why), "the events of one revision pass %u bytes",
		    ETCD_JSON_BATCH_MAX);
		watch_terminate(w, k, 0);
		return -1;
	}
	return w->batch.fragment ? 0 : 1;
}

/* Read the buffered messages until a batch is complete (1), none is (0) or the stream went (-1). */
static int
watch_drain(struct etcd_watch *w)
{
	struct etcd_json_watch_msg m;
	int k;

	while (w->terminal == 0 && (k = etcd_json_stream_next(&w->stream, &m)) != 0) {
		if (k == -EMSGSIZE) {
			watch_failed(w, "a message over %u bytes", ETCD_JSON_MESSAGE_MAX);
			return -1;
		}
		if (k < 0) {
			log_debug(NULL, "etcd: a malformed watch message from %s, ignoring",
			    w->e->endpoints[w->ep]);
			continue;
		}
		k = watch_msg(w, &m);
		etcd_json_watch_msg_done(&m);
		if (k != 0)
			return k;
	}
	if (w->paused && w->easy != NULL && w->terminal == 0) {
		w->paused = false;
		sym_curl_easy_pause(w->easy, CURLPAUSE_CONT);
	}
	return 0;
}

static void
watch_call(struct etcd_watch *w, int error, const struct etcd_event *ev, size_t n, int64_t rev)
{
	w->busy = true;
	w->fn(error, ev, n, rev, w->userdata);
	w->busy = false;
}

/* Hand the complete batch to the caller; false if the watch was stopped meanwhile. */
static bool
watch_deliver(struct etcd_watch *w)
{
	struct etcd_json_watch_msg b = w->batch;
	_cleanup_free_ struct etcd_event *ev = calloc(b.n_events, sizeof(*ev));
	bool alive;

	w->batch = (struct etcd_json_watch_msg){0};
	w->have_batch = false;
	if (ev == NULL) {
		etcd_json_watch_msg_done(&b);
		watch_terminate(w, -ENOMEM, 0);
		return true;
	}
	for (size_t i = 0; i < b.n_events; i++) {
		const struct etcd_json_kv *j = &b.events[i].kv;

		ev[i].type = b.events[i].is_delete ? ETCD_EVENT_DELETE : ETCD_EVENT_PUT;
		ev[i].kv = (struct etcd_kv){j->key, j->key_len, j->value, j->value_len,
		    j->create_revision, j->mod_revision, j->version, j->lease};
	}
	if (b.events[b.n_events - 1].kv.mod_revision >= w->next_rev)
		w->next_rev = b.events[b.n_events - 1].kv.mod_revision + 1;
	watch_kick(w); /* more may be buffered */
	watch_call(w, 0, ev, b.n_events, b.revision);
	etcd_json_watch_msg_done(&b);
	alive = !w->dead;
	if (!alive)
		watch_destroy(w);
	return alive;
}

static void
on_watch_ev(evutil_socket_t fd, short what, void *arg)
{
	struct etcd_watch *w = arg;
	uint64_t now;
	struct timeval tv;

	if (w->over || w->stopped)
		return;
	if (watch_drain(w) == 1) {
		watch_deliver(w);
		return;
	}
	if (w->terminal != 0) {
		w->over = true;
		watch_call(w, w->terminal, NULL, 0, w->terminal_rev);
		if (w->dead)
			watch_destroy(w);
		return;
	}
	if (w->xfer_done) { /* what it sent before it ended is consumed */
		char why[sizeof(w->why)];

		w->xfer_done = false;
		text_copy(why, sizeof(why), w->why);
		watch_failed(w, "%s", why);
		return;
	}
	if (!w->ended || w->waiting_auth)
		return;
	now = ((uint64_t)clock_ms(CLOCK_MONOTONIC));
	if (now < w->retry_at) {
		ms_to_tv(w->retry_at - now, &tv);
		evtimer_add(&w->ev, &tv);
		return;
	}
	if (watch_connect(w) < 0)
		watch_failed(w, "cannot start a stream");
}

/* The stream's transfer ended (etcd closed it, the member died, ...): on_watch_ev takes over. */
static void
watch_transferred(struct etcd_watch *w, CURLcode res)
{
	long status = 0;

	sym_curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &status);
	if (res != CURLE_OK)
		snprintf(w->why, sizeof(w->why), "%s",
		    w->errbuf[0] != '\0' ? w->errbuf : sym_curl_easy_strerror(res));
	else if (status != 200)
		snprintf(w->why, sizeof(w->why), "HTTP status %ld", status);
	else
		snprintf(w->why, sizeof(w->why), "the stream ended");
	sym_curl_multi_remove_handle(w->e->multi, w->easy);
	sym_curl_easy_cleanup(w->easy);
	w->easy = NULL;
	w->xfer_done = true;
	watch_kick(w);
}

/* A new stream on endpoint w->ep from w->next_rev. */
static int
watch_connect(struct etcd_watch *w)
{
	struct etcd *e = w->e;
	int k;

	if (e->username != NULL && e->token == NULL) {
		w->waiting_auth = true;
		w->ended = true; /* connect once the token is there */
		w->retry_at = 0;
		return auth_kick(e);
	}
	free(w->body);
	w->body = NULL;
	k = etcd_json_watch_build(w->key, w->range_end, w->next_rev, &w->body);
	if (k < 0)
		return k;
	w->ended = false;
	w->token_gen = e->token_gen;
	w->easy = sym_curl_easy_init();
	if (w->easy == NULL)
		return -ENOMEM;
	k = xfer_setup(e, w->easy, w->ep, "/v3/watch", w->body, &w->headers, w->errbuf, w);
	/* A stream has no overall timeout; keepalives notice a peer that vanished. */
	if (k == 0 &&
	    (sym_curl_easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, watch_write) != CURLE_OK ||
	        sym_curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, w) != CURLE_OK ||
	        sym_curl_easy_setopt(w->easy, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK ||
	        sym_curl_easy_setopt(w->easy, CURLOPT_TCP_KEEPIDLE, 10L) != CURLE_OK ||
	        sym_curl_easy_setopt(w->easy, CURLOPT_TCP_KEEPINTVL, 5L) != CURLE_OK))
		k = -EINVAL;
	if (k == 0 && sym_curl_multi_add_handle(e->multi, w->easy) != CURLM_OK)
		k = -ENOMEM;
	if (k < 0) {
		sym_curl_easy_cleanup(w->easy);
		w->easy = NULL;
		sym_curl_slist_free_all(w->headers);
		w->headers = NULL;
		w->ended = true;
	}
	return k;
}

static void
watch_destroy(struct etcd_watch *w)
{
	if (w->e != NULL) {
		watch_close(w);
		event_del(&w->ev);
		TAILQ_REMOVE(&w->e->watches, w, link);
		w->e = NULL;
	}
	etcd_json_stream_done(&w->stream);
	if (w->have_batch)
		etcd_json_watch_msg_done(&w->batch);
	free(w->body);
	free(w->key);
	free(w->range_end);
	free(w);
}

int
etcd_watch_start(struct etcd *e, const char *key, const char *range_end, int64_t start_revision,
    etcd_watch_fn fn, void *userdata, struct etcd_watch **ret)
{
	struct etcd_watch *w;
	int k;

	if (key == NULL || key[0] == '\0' || fn == NULL || start_revision < 0)
		return -EINVAL;
	if (e->freeing)
		return -ECANCELED;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->xfer = XFER_WATCH;
	w->e = e;
	w->fn = fn;
	w->userdata = userdata;
	w->next_rev = start_revision;
	w->ep = e->preferred;
	w->backoff_ms = WATCH_BACKOFF_MIN_MS;
	etcd_json_stream_init(&w->stream);
	evtimer_assign(&w->ev, e->base, on_watch_ev, w);
	TAILQ_INSERT_TAIL(&e->watches, w, link);
	w->key = strdup(key);
	w->range_end = range_end != NULL ? strdup(range_end) : NULL;
	if (w->key == NULL || (range_end != NULL && w->range_end == NULL))
		k = -ENOMEM;
	else
		k = watch_connect(w);
	if (k < 0) {
		watch_destroy(w);
		return k;
	}
	*ret = w;
	return 0;
}

void
etcd_watch_stop(struct etcd_watch *w)
{
	if (w == NULL)
		return;
	w->stopped = true;
	if (w->e != NULL && w->e->freeing)
		return; /* etcd_free() frees it */
	if (w->busy) {
		/* Inside its own callback: on_watch_ev frees it when that returns. */
		if (w->e != NULL) {
			watch_close(w);
			event_del(&w->ev);
			TAILQ_REMOVE(&w->e->watches, w, link);
			w->e = NULL;
		}
		w->dead = true;
		return;
	}
	watch_destroy(w);
}

/* ---- the client ---- */

static void
check_done(struct etcd *e)
{
	CURLMsg *msg;
	int left;

	while ((msg = sym_curl_multi_info_read(e->multi, &left)) != NULL) {
		enum xfer_kind *x = NULL;
		CURLcode res = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		sym_curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x == NULL)
			continue;
		if (*x == XFER_REQ)
			req_transferred((struct etcd_req *)x, res);
		else
			watch_transferred((struct etcd_watch *)x, res);
	}
}

static int
etcd_copy_options(struct etcd *e, const struct etcd_options *opt)
{
	e->endpoints = calloc(opt->n_endpoints, sizeof(char *));
	if (e->endpoints == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < opt->n_endpoints; i++) {
		size_t n = strlen(opt->endpoints[i]);

		if (strncmp(opt->endpoints[i], "http://", 7) != 0 &&
		    strncmp(opt->endpoints[i], "https://", 8) != 0)
			return -EINVAL;
		/* No trailing slash: the paths start with one. */
		while (n > 0 && opt->endpoints[i][n - 1] == '/')
			n--;
		e->endpoints[i] = strndup(opt->endpoints[i], n);
		if (e->endpoints[i] == NULL)
			return -ENOMEM;
		e->n_endpoints++;
	}
	const char *src[] = {opt->ca, opt->cert, opt->key, opt->username, opt->password};
	char **dst[] = {&e->ca, &e->cert, &e->key, &e->username, &e->password};
	for (size_t i = 0; i < ELEMENTSOF(src); i++)
		if (src[i] != NULL && (*dst[i] = strdup(src[i])) == NULL)
			return -ENOMEM;
	return 0;
}

int
etcd_new(struct event_base *base, const struct etcd_options *opt, struct etcd **ret)
{
	struct etcd *e;
	int k;

	if (base == NULL || opt == NULL || opt->n_endpoints == 0 ||
	    (opt->username == NULL) != (opt->password == NULL))
		return -EINVAL;
	if ((k = curl_dl_open(NULL)) < 0)
		return k;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->base = base;
	e->state = e->reported = -1;
	TAILQ_INIT(&e->running);
	TAILQ_INIT(&e->waiting);
	TAILQ_INIT(&e->done);
	TAILQ_INIT(&e->watches);
	TAILQ_INIT(&e->socks);
	evtimer_assign(&e->timer, base, on_timer, e);
	event_assign(&e->dispatch, base, -1, 0, on_dispatch, e);
	k = etcd_copy_options(e, opt);
	if (k == 0 && (e->multi = sym_curl_multi_init()) == NULL)
		k = -ENOMEM;
	if (k == 0 &&
	    (sym_curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, curl_sock_cb) != CURLM_OK ||
	        sym_curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e) != CURLM_OK ||
	        sym_curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb) !=
	            CURLM_OK ||
	        sym_curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e) != CURLM_OK))
		k = -EINVAL;
	if (k < 0) {
		etcd_free(e);
		return k;
	}
	*ret = e;
	return 0;
}

/* etcd_free(): every pending request's callback with -ECANCELED. */
static void
etcd_cancel_requests(struct etcd *e)
{
	struct req_list all = TAILQ_HEAD_INITIALIZER(all);
	struct req_list *lists[] = {&e->done, &e->running, &e->waiting};
	struct etcd_req *r;

	for (size_t i = 0; i < ELEMENTSOF(lists); i++)
		while ((r = TAILQ_FIRST(lists[i])) != NULL)
			req_move(r, &all);
	while ((r = TAILQ_FIRST(&all)) != NULL) {
		req_move(r, NULL);
		if (r->easy != NULL) {
			sym_curl_multi_remove_handle(e->multi, r->easy);
			sym_curl_easy_cleanup(r->easy);
			r->easy = NULL;
		}
		free(r->message);
		r->message = NULL;
		etcd_json_reply_done(&r->reply);
		free(r->kvs);
		r->kvs = NULL;
		r->error = -ECANCELED;
		if (r != e->auth)
			req_deliver(r);
		req_free(r);
	}
	e->auth = NULL;
}

/* etcd_free(): the watches' callbacks with -ECANCELED, then they go. */
static void
etcd_cancel_watches(struct etcd *e)
{
	struct etcd_watch *w;

	TAILQ_FOREACH(w, &e->watches, link)
	{
		watch_close(w);
		event_del(&w->ev);
	}
	TAILQ_FOREACH(w, &e->watches, link)
	if (!w->stopped && !w->over && !w->busy && !w->dead) {
		w->over = true;
		watch_call(w, -ECANCELED, NULL, 0, 0);
	}
	while ((w = TAILQ_FIRST(&e->watches)) != NULL) {
		if (w->busy) { /* etcd_free() from its callback: freed when that returns */
			TAILQ_REMOVE(&e->watches, w, link);
			w->e = NULL;
			w->dead = true;
		} else
			watch_destroy(w);
	}
}

void
etcd_free(struct etcd *e)
{
	struct etcd_sock *s;

	if (e == NULL || e->freeing)
		return;
	e->freeing = true;
	event_del(&e->dispatch);
	if (e->multi != NULL) {
		etcd_cancel_requests(e);
		etcd_cancel_watches(e);
		sym_curl_multi_cleanup(e->multi);
	}
	event_del(&e->timer);
	while ((s = TAILQ_FIRST(&e->socks)) != NULL) {
		event_del(&s->ev);
		TAILQ_REMOVE(&e->socks, s, link);
		free(s);
	}
	for (size_t i = 0; i < e->n_endpoints; i++)
		free(e->endpoints[i]);
	free(e->endpoints);
	free(e->ca);
	free(e->cert);
	free(e->key);
	free(e->username);
	free(e->password);
	free(e->token);
	free(e);
}

void
etcd_set_state_callback(struct etcd *e, etcd_state_fn fn, void *userdata)
{
	e->state_fn = fn;
	e->state_userdata = userdata;
}

bool
etcd_is_up(const struct etcd *e)
{
	return e->state == 1;
}

/* ---- the operations ---- */

char *
etcd_prefix_end(const char *prefix)
{
	char *end = strdup(prefix);
	size_t n = strlen(end != NULL ? end : "");

	if (end == NULL)
		return NULL;
	while (n > 0 && (unsigned char)end[n - 1] == 0xff)
		n--;
	/* Nothing to increment: every key from the prefix on (""). */
	end[n] = '\0';
	if (n > 0)
		end[n - 1]++;
	return end;
}

int
etcd_range(struct etcd *e, const char *key, const char *range_end, int64_t revision,
    etcd_done_fn fn, void *userdata)
{
	char *body = NULL;
	int k = etcd_json_range_build(key, range_end, revision, &body);

	return req_start(e, REQ_RANGE, k, body, fn, userdata);
}

int
etcd_put(struct etcd *e, const char *key, const char *value, size_t len, int64_t lease,
    etcd_done_fn fn, void *userdata)
{
	char *body = NULL;
	int k;

	if (len > ETCD_VALUE_MAX)
		return -EMSGSIZE;
	k = etcd_json_put_build(key, value, len, lease, &body);
	return req_start(e, REQ_PUT, k, body, fn, userdata);
}

int
etcd_delete(struct etcd *e, const char *key, const char *range_end, etcd_done_fn fn, void *userdata)
{
	char *body = NULL;
	int k = etcd_json_delete_build(key, range_end, &body);

	return req_start(e, REQ_DELETE, k, body, fn, userdata);
}

/* The public txn types mirror etcd-json's, value for value. */
_Static_assert((int)ETCD_CMP_VALUE == (int)ETCD_JSON_CMP_VALUE &&
                   (int)ETCD_CMP_MOD == (int)ETCD_JSON_CMP_MOD &&
                   (int)ETCD_CMP_VERSION == (int)ETCD_JSON_CMP_VERSION &&
                   (int)ETCD_CMP_CREATE == (int)ETCD_JSON_CMP_CREATE,
    "compare targets");
_Static_assert((int)ETCD_CMP_EQUAL == (int)ETCD_JSON_CMP_EQUAL &&
                   (int)ETCD_CMP_NOT_EQUAL == (int)ETCD_JSON_CMP_NOT_EQUAL &&
                   (int)ETCD_CMP_LESS == (int)ETCD_JSON_CMP_LESS &&
                   (int)ETCD_CMP_GREATER == (int)ETCD_JSON_CMP_GREATER,
    "compare results");
_Static_assert((int)ETCD_OP_PUT == (int)ETCD_JSON_OP_PUT &&
                   (int)ETCD_OP_DELETE == (int)ETCD_JSON_OP_DELETE &&
                   (int)ETCD_OP_RANGE == (int)ETCD_JSON_OP_RANGE,
    "operations");

static struct etcd_json_op *
ops_copy(const struct etcd_op *ops, size_t n)
{
	struct etcd_json_op *j = calloc(n > 0 ? n : 1, sizeof(*j));

	for (size_t i = 0; j != NULL && i < n; i++)
		j[i] = (struct etcd_json_op){(enum etcd_json_op_type)ops[i].type, ops[i].key,
		    ops[i].range_end, ops[i].value, ops[i].value_len, ops[i].lease};
	return j;
}

int
etcd_txn(struct etcd *e, const struct etcd_txn *t, etcd_done_fn fn, void *userdata)
{
	_cleanup_free_ struct etcd_json_cmp *cmps = calloc(t->n_compares + 1, sizeof(*cmps));
	_cleanup_free_ struct etcd_json_op *ok = ops_copy(t->success, t->n_success);
	_cleanup_free_ struct etcd_json_op *fail = ops_copy(t->failure, t->n_failure);
	char *body = NULL;
	int k;

	if (cmps == NULL || ok == NULL || fail == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_compares; i++) {
		const struct etcd_cmp *c = &t->compares[i];

		cmps[i] = (struct etcd_json_cmp){c->key, (enum etcd_json_cmp_target)c->target,
		    (enum etcd_json_cmp_result)c->result, c->number, c->value, c->value_len};
	}
	struct etcd_json_txn j = {cmps, t->n_compares, ok, fail, t->n_success, t->n_failure};
	k = etcd_json_txn_build(&j, &body);
	return req_start(e, REQ_TXN, k, body, fn, userdata);
}

int
etcd_lease_grant(struct etcd *e, int64_t ttl, etcd_done_fn fn, void *userdata)
{
	char *body = NULL;
	int k = ttl > 0 ? etcd_json_lease_grant_build(ttl, &body) : -EINVAL;

	return req_start(e, REQ_GRANT, k, body, fn, userdata);
}

int
etcd_lease_keepalive(struct etcd *e, int64_t id, etcd_done_fn fn, void *userdata)
{
	char *body = NULL;
	int k = etcd_json_lease_id_build(id, &body);

	return req_start(e, REQ_KEEPALIVE, k, body, fn, userdata);
}

int
etcd_lease_revoke(struct etcd *e, int64_t id, etcd_done_fn fn, void *userdata)
{
	char *body = NULL;
	int k = etcd_json_lease_id_build(id, &body);

	return req_start(e, REQ_REVOKE, k, body, fn, userdata);
}
