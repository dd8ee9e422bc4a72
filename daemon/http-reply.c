/*
 * HTTP responses (see http-internal.h).  Files go out as evbuffer file
 * segments with EVBUFFER_FLAG_DRAINS_TO_FD: sendfile(2) from the page cache,
 * never read into our memory; except small bodies (at most HTTP_SMALL_BODY
 * bytes: a kernel's first bytes, a Range of one block, a tiny file), read
 * with pread(2) so that they leave with the headers in one segment instead
 * of a write and a sendfile a loop turn apart.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "http-internal.h"
#include "http-range.h"
#include "log.h"
#include "util.h"

/* ---- boot progress ---- */

void
http_reply_event_init(const struct http_req *c, enum progress_kind kind, const char *detail,
    struct progress_event *ev)
{
	*ev = (struct progress_event){.kind = kind, .client = c->addr};
	if (c->mac != NULL) {
		ev->has_mac = true;
		memcpy(ev->mac, c->mac, MAC_LEN);
	}
	snprintf(ev->detail, sizeof(ev->detail), "%s", detail);
}

/* Record an event (the recorder finds the MAC of an address) and log it. */
void
http_reply_progress(struct http_server *s, struct progress_event *ev, const char *image)
{
	char fields[256], mac[MAC_STRLEN] = "-", client[INET_ADDRSTRLEN], what[256];
	const char *kind = progress_kind_name(ev->kind);
	int prio;

	if (s->srv->progress != NULL)
		progress_record(s->srv->progress, ev);
	snprintf(
	    what, sizeof(what), "%s %s %s %d", kind, ev->detail, image ? image : "", ev->complete);
	prio = http_summary_once(s, ev->client, what) ? LOG_INFO : LOG_DEBUG;
	if (prio == LOG_DEBUG && !log_debug_enabled())
		return;
	if (ev->has_mac)
		mac_format(ev->mac, ':', mac);
	inet_ntop(AF_INET, &ev->client, client, sizeof(client));
	snprintf(fields, sizeof(fields),
	    "NETBOOT_MAC=%s\nNETBOOT_EVENT=%s\nNETBOOT_IMAGE=%s\nCLIENT=%s\nBYTES=%" PRIu64
	    "\nCOMPLETE=%d",
	    mac, kind, image ? image : "", client, ev->bytes, ev->complete);
	log_msg(prio, fields,
	    "Boot progress of %s at %s: %s \"%s\", %" PRIu64 " of %" PRIu64 " bytes%s", mac, client,
	    kind, ev->detail, ev->bytes, ev->total, ev->complete ? "" : ", incomplete");
}

void
http_reply_xfer_free(struct http_xfer *x)
{
	if (x == NULL)
		return;
	if (x->linked) {
		LIST_REMOVE(x, link);
		x->s->n_xfers--;
	}
	free(x);
}

void
http_reply_xfer_end(struct http_xfer *x, uint64_t left, bool complete)
{
	struct http_server *s = x->s;

	if (complete) {
		s->stats->bytes_sent += x->body;
		x->ev.bytes = x->body;
		x->ev.complete = x->body == x->ev.total;
	} else {
		x->ev.bytes = left < x->body ? x->body - left : 0;
		x->ev.complete = false;
	}
	if (!s->freeing)
		http_reply_progress(s, &x->ev, x->image[0] ? x->image : NULL);
	http_reply_xfer_free(x);
}

/* evhttp sent the whole response. */
static void
http_xfer_done(struct evhttp_request *req, void *arg)
{
	(void)req;
	http_reply_xfer_end(arg, 0, true);
}

/* The connection closed before its response went out: record what left. */
void
http_reply_xfers_closed(struct http_server *s, struct evhttp_connection *evcon)
{
	struct http_xfer *x, *next;

	for (x = LIST_FIRST(&s->xfers); x != NULL; x = next) {
		struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
		uint64_t left = bev ? evbuffer_get_length(bufferevent_get_output(bev)) : x->body;

		next = LIST_NEXT(x, link);
		if (x->evcon == evcon)
			http_reply_xfer_end(x, left, false);
	}
}

/* ---- responses ---- */

static void
http_count_sent(struct evhttp_request *req, void *arg)
{
	struct http_server *s = arg;
	const char *cl =
	    evhttp_find_header(evhttp_request_get_output_headers(req), "Content-Length");

	if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD && cl != NULL)
		s->stats->bytes_sent += strtoull(cl, NULL, 10);
}

/* ---- request and response headers, of either kind of request ---- */

void
http_req_add_header(struct http_req *c, const char *name, const char *value)
{
	if (c->fast != NULL)
		http_fast_add_header(c->fast, name, value);
	else
		evhttp_add_header(evhttp_request_get_output_headers(c->req), name, value);
}

const char *
http_req_header(struct http_req *c, const char *name)
{
	if (c->fast != NULL)
		return http_fast_header(c, name);
	return evhttp_find_header(evhttp_request_get_input_headers(c->req), name);
}

/* The response could not be made: a bare 500. */
static void
http_reply_fail(struct http_req *c)
{
	if (c->fast != NULL)
		http_fast_send(c, 500, "Internal Server Error", NULL, 0);
	else
		evhttp_send_error(c->req, 500, "Internal Server Error");
	c->sent = true;
}

/* The request target for a log line: printable ASCII, at most HTTP_LOG_PATH_MAX bytes. */
static void
http_log_path(const char *path, char buf[HTTP_LOG_PATH_MAX + 4])
{
	size_t i;

	for (i = 0; path[i] != '\0' && i < HTTP_LOG_PATH_MAX; i++)
		buf[i] = path[i] > ' ' && path[i] < 0x7f ? path[i] : '?';
	strcpy(buf + i, path[i] != '\0' ? "..." : "");
}

/* One line per request, at debug: the info log has the summary (http-summary.c). */
static void
http_log(const struct http_req *c, int code, uint64_t bytes)
{
	char fields[512], mac[MAC_STRLEN] = "", path[HTTP_LOG_PATH_MAX + 4];

	if (!log_debug_enabled())
		return;
	if (c->mac != NULL)
		mac_format(c->mac, ':', mac);
	http_log_path(c->path, path);
	snprintf(fields, sizeof(fields), "CLIENT=%s\nPATH=%s\nSTATUS=%d\nBYTES=%" PRIu64 "%s%s",
	    c->client, path, code, bytes, c->mac ? "\nNETBOOT_MAC=" : "", mac);
	log_debug(fields, "HTTP %s \"%s\" from %s: %d, %" PRIu64 " bytes",
	    c->method ? c->method : "other", path, c->client, code, bytes);
}

/* Send with a Content-Length of 'len' (the body, or what GET would get for HEAD). */
void
http_reply_send(
    struct http_req *c, int code, const char *reason, struct evbuffer *body, uint64_t len)
{
	struct evkeyvalq *h;
	char n[24];

	if (code >= 100 && code < 600)
		c->s->stats->responses[code / 100 - 1]++;
	http_summary_response(c->s, code);
	http_log(c, code, c->head ? 0 : len);
	if (c->fast != NULL) {
		if (c->xfer != NULL && c->xfer->linked)
			http_fast_xfer(c->fast, TAKE_PTR(c->xfer));
		http_fast_send(c, code, reason, body, len);
		c->sent = true;
		return;
	}
	h = evhttp_request_get_output_headers(c->req);
	snprintf(n, sizeof(n), "%" PRIu64, len);
	evhttp_remove_header(h, "Content-Length");
	if (code != 204) /* RFC 9110 8.6: none in a 204 */
		evhttp_add_header(h, "Content-Length", n);
	if (c->xfer != NULL && c->xfer->linked)
		evhttp_request_set_on_complete_cb(c->req, http_xfer_done, TAKE_PTR(c->xfer));
	else
		evhttp_request_set_on_complete_cb(c->req, http_count_sent, c->s);
	evhttp_send_reply(c->req, code, reason, c->head ? NULL : body);
	c->sent = true;
}

void
http_reply_text(struct http_req *c, int code, const char *reason, const char *ctype,
    const char *text, size_t len)
{
	struct evbuffer *body = evbuffer_new();

	if (body == NULL || evbuffer_add(body, text, len) < 0) {
		if (body != NULL)
			evbuffer_free(body);
		http_reply_fail(c);
		return;
	}
	http_req_add_header(c, "Content-Type", ctype);
	http_reply_send(c, code, reason, body, len);
	evbuffer_free(body);
}

void
http_reply_error(struct http_req *c, int code, const char *reason)
{
	char text[64];
	int n = snprintf(text, sizeof(text), "%d %s\n", code, reason);

	http_reply_text(c, code, reason, CTYPE_TEXT, text, (size_t)n);
}

/* An HTTP date; the last one is kept (the files of a boot share a few mtimes). */
static void
http_add_date(struct http_req *c, const char *name, time_t t)
{
	static char buf[64]; /* loop thread only */
	static time_t at;
	static bool have;
	struct tm tm;

	if (!have || t != at) {
		have = gmtime_r(&t, &tm) != NULL &&
		       strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0;
		at = t;
	}
	if (have)
		http_req_add_header(c, name, buf);
}

/*
 * The byte range to send: 200 for all of it, 206 for one range, 416.
 * Multiple ranges and malformed headers get the whole file (RFC 9110 14.2
 * lets a server ignore Range); so does a request with If-Range, which we
 * cannot evaluate without validators.
 */
static int
http_pick_range(struct http_req *c, uint64_t size, struct http_range *ret)
{
	const char *v = http_req_header(c, "Range");
	int r;

	*ret = (struct http_range){.start = 0, .length = size};
	if (v == NULL || http_req_header(c, "If-Range") != NULL)
		return 200;
	r = http_range_parse(v, strlen(v), size, ret);
	if (r == -ERANGE)
		return 416;
	if (r < 0) {
		log_debug(NULL, "Ignoring Range header \"%s\" from %s (%s)", v, c->client,
		    r == -EOPNOTSUPP ? "several ranges or another unit" : "malformed");
		*ret = (struct http_range){.start = 0, .length = size};
		return 200;
	}
	return 206;
}

static int
http_add_chunks(struct evbuffer *body, struct evbuffer_file_segment *seg, uint64_t length)
{
	for (uint64_t off = 0; off < length; off += HTTP_FILE_CHUNK) {
		uint64_t n = length - off < HTTP_FILE_CHUNK ? length - off : HTTP_FILE_CHUNK;

		if (evbuffer_add_file_segment(body, seg, (ev_off_t)off, (ev_off_t)n) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* A small body read into memory: it leaves with the headers, in one write and one segment. */
static int
http_read_small(struct evbuffer *body, int fd, const struct http_range *rg)
{
	struct evbuffer_iovec v;
	size_t done = 0;
	ssize_t n;

	if (evbuffer_reserve_space(body, (ev_ssize_t)rg->length, &v, 1) != 1)
		return -ENOMEM;
	while (done < rg->length) {
		n = pread(
		    fd, (char *)v.iov_base + done, rg->length - done, (off_t)(rg->start + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno
			             : -EIO; /* shorter than fstat said: changed meanwhile */
		done += (size_t)n;
	}
	v.iov_len = done;
	return evbuffer_commit_space(body, &v, 1) < 0 ? -ENOMEM : 0;
}

/*
 * The body of range 'rg' of 'fd' (taken over): read into memory up to
 * HTTP_SMALL_BODY bytes, else file segments that sendfile(2) sends.  NULL
 * on failure.
 */
static struct evbuffer *
http_file_body(int fd, const struct http_range *rg)
{
	struct evbuffer *body = evbuffer_new();
	struct evbuffer_file_segment *seg = NULL;
	int r;

	if (body != NULL && rg->length <= HTTP_SMALL_BODY) {
		r = http_read_small(body, fd, rg);
		close(fd);
		if (r < 0) {
			evbuffer_free(body);
			return NULL;
		}
		return body;
	}
	if (body != NULL)
		evbuffer_set_flags(body, EVBUFFER_FLAG_DRAINS_TO_FD);
	seg = body ? evbuffer_file_segment_new(
	                 fd, (ev_off_t)rg->start, (ev_off_t)rg->length, EVBUF_FS_CLOSE_ON_FREE)
	           : NULL;
	if (seg == NULL || http_add_chunks(body, seg, rg->length) < 0) {
		if (seg == NULL)
			close(fd);
		else
			evbuffer_file_segment_free(seg);
		if (body != NULL)
			evbuffer_free(body);
		return NULL;
	}
	evbuffer_file_segment_free(seg); /* the buffer's chain keeps its reference */
	return body;
}

/* The route asked for a progress event: follow the body on its connection. */
static void
http_xfer_attach(struct http_req *c, uint64_t body, uint64_t total)
{
	struct http_xfer *x = c->xfer;
	struct evhttp_connection *evcon =
	    c->fast ? http_fast_evcon(c->fast) : evhttp_request_get_connection(c->req);

	if (x == NULL || evcon == NULL)
		return;
	x->evcon = evcon;
	x->linked = true;
	x->body = body;
	x->ev.total = total;
	LIST_INSERT_HEAD(&c->s->xfers, x, link);
	c->s->n_xfers++;
}

/* Serve the open regular file 'fd' (taken over). */
void
http_reply_file(struct http_req *c, int fd, const char *ctype)
{
	struct evbuffer *body = NULL;
	struct http_range rg;
	char cr[96];
	struct stat st;
	int code;

	if (fstat(fd, &st) < 0) {
		close(fd);
		http_reply_error(c, 500, "Internal Server Error");
		return;
	}
	http_req_add_header(c, "Accept-Ranges", "bytes");
	http_add_date(c, "Last-Modified", st.st_mtime);
	code = http_pick_range(c, (uint64_t)st.st_size, &rg);
	if (code == 416) {
		close(fd);
		snprintf(cr, sizeof(cr), "bytes */%" PRIu64, (uint64_t)st.st_size);
		http_req_add_header(c, "Content-Range", cr);
		http_reply_text(c, 416, "Range Not Satisfiable", CTYPE_TEXT, "", 0);
		return;
	}
	if (code == 206) {
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, rg.start,
		    rg.start + rg.length - 1, (uint64_t)st.st_size);
		http_req_add_header(c, "Content-Range", cr);
	}
	http_req_add_header(c, "Content-Type", ctype);
	if (c->head || rg.length == 0) {
		close(fd);
		http_reply_send(c, code, code == 206 ? "Partial Content" : "OK", NULL, rg.length);
		return;
	}
	if ((body = http_file_body(fd, &rg)) == NULL) {
		http_reply_fail(c);
		return;
	}
	http_xfer_attach(c, rg.length, (uint64_t)st.st_size);
	http_reply_send(c, code, code == 206 ? "Partial Content" : "OK", body, rg.length);
	evbuffer_free(body);
}

struct http_xfer *
http_reply_xfer_new(
    struct http_req *c, enum progress_kind kind, const char *detail, const char *image)
{
	struct http_xfer *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL; /* no progress event for this one */
	x->s = c->s;
	http_reply_event_init(c, kind, detail, &x->ev);
	snprintf(x->image, sizeof(x->image), "%s", image ? image : "");
	c->xfer = x;
	return x;
}

void
http_reply_not_allowed(struct http_req *c, const char *allow)
{
	http_req_add_header(c, "Allow", allow);
	http_reply_error(c, 405, "Method Not Allowed");
}
