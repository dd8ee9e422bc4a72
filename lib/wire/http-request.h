/*
 * The head of an HTTP/1.x request (RFC 9112 sections 2-5): the request line
 * and the header fields the fast path of the HTTP server needs.  Pure code.
 *
 * It is strict on purpose: whatever it does not fully understand (bare LF,
 * obsolete line folding, a duplicated Range, an absolute-form target, a
 * version other than 1.0 and 1.1) is -EBADMSG, and the server hands such a
 * request to the general HTTP code (evhttp), which answers it as before.
 */
#ifndef NETBOOTD_HTTP_REQUEST_H
#define NETBOOTD_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

enum http_method {
	HTTP_METHOD_OTHER, /* any other token: POST, PUT, ... */
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
};

/* Bytes of the parsed buffer, not NUL-terminated. */
struct http_slice {
	const char *p;
	size_t len;
};

struct http_request_head {
	enum http_method method;
	unsigned minor;           /* HTTP/1.<minor>: 0 or 1 */
	struct http_slice target; /* origin-form: begins with '/' */
	struct http_slice range;  /* value without surrounding whitespace; len 0 when absent */
	struct http_slice user_agent;
	bool has_range, has_user_agent;
	bool if_range;        /* an If-Range field is present */
	bool has_body;        /* Content-Length other than 0, or Transfer-Encoding */
	bool expect;          /* an Expect field (100-continue) */
	bool conn_close;      /* Connection: close */
	bool conn_keep_alive; /* Connection: keep-alive */
	size_t n_fields;
};

/* Longest head looked at, as the server's header limit (HTTP_MAX_HEADERS_SIZE). */
#define HTTP_REQUEST_MAX_HEAD   8192
#define HTTP_REQUEST_MAX_FIELDS 100

/*
 * Parse the head at the start of buf[0..len).  Returns its length (the
 * request line, the fields and the empty line), 0 when more bytes are needed
 * (and len < HTTP_REQUEST_MAX_HEAD), -EBADMSG for what is malformed or not
 * understood, -E2BIG when no head ends within HTTP_REQUEST_MAX_HEAD bytes or
 * it has more than HTTP_REQUEST_MAX_FIELDS fields.  *ret is set only when a
 * length is returned.
 */
int http_request_head_parse(const char *buf, size_t len, struct http_request_head *ret);

/* Whether the connection stays open after the response (RFC 9112 9.3). */
bool http_request_keep_alive(const struct http_request_head *h);

#endif
