#include "http-request.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

static bool
is_tchar(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* field-vchar, SP, HTAB and obs-text: what a field value may hold */
static bool
is_value_char(uint8_t c)
{
	return c == ' ' || c == '\t' || (c > ' ' && c != 0x7f);
}

static bool
slice_is(struct http_slice s, const char *word)
{
	return s.len == strlen(word) && strncasecmp(s.p, word, s.len) == 0;
}

/* CRLF, nothing else: a bare LF or CR is -EBADMSG. */
static int
read_crlf(struct reader *r)
{
	if (r->left < 2 || r->p[0] != '\r' || r->p[1] != '\n')
		return -EBADMSG;
	return read_skip(r, 2);
}

static struct http_slice
read_while(struct reader *r, bool (*ok)(uint8_t))
{
	struct http_slice s = {(const char *)r->p, 0};

	while (s.len < r->left && ok(r->p[s.len]))
		s.len++;
	(void)read_skip(r, s.len);
	return s;
}

static bool
is_target_char(uint8_t c)
{
	return c > ' ' && c < 0x7f;
}

/* method SP origin-form SP "HTTP/1." DIGIT CRLF */
static int
parse_request_line(struct reader *r, struct http_request_head *h)
{
	struct http_slice m = read_while(r, is_tchar);
	static const char version[] = " HTTP/1.";

	if (m.len == 0 || r->left == 0 || r->p[0] != ' ')
		return -EBADMSG;
	(void)read_skip(r, 1);
	/* methods are case-sensitive (RFC 9110 9.1) */
	h->method = m.len == 3 && memcmp(m.p, "GET", 3) == 0    ? HTTP_METHOD_GET
	            : m.len == 4 && memcmp(m.p, "HEAD", 4) == 0 ? HTTP_METHOD_HEAD
	                                                        : HTTP_METHOD_OTHER;
	h->target = read_while(r, is_target_char);
	if (h->target.len == 0 || h->target.p[0] != '/')
		return -EBADMSG; /* asterisk-form, absolute-form, authority-form */
	if (r->left < sizeof(version) || memcmp(r->p, version, sizeof(version) - 1) != 0)
		return -EBADMSG;
	(void)read_skip(r, sizeof(version) - 1);
	if (r->p[0] != '0' && r->p[0] != '1')
		return -EBADMSG;
	h->minor = (unsigned)(r->p[0] - '0');
	(void)read_skip(r, 1);
	return read_crlf(r);
}

static struct http_slice
trim(struct http_slice s)
{
	while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return s;
}

/* Connection: a comma-separated list of options. */
static void
parse_connection(struct http_slice v, struct http_request_head *h)
{
	while (v.len > 0) {
		const char *comma = memchr(v.p, ',', v.len);
		size_t n = comma ? (size_t)(comma - v.p) : v.len;
		struct http_slice opt = trim((struct http_slice){v.p, n});

		if (slice_is(opt, "close"))
			h->conn_close = true;
		else if (slice_is(opt, "keep-alive"))
			h->conn_keep_alive = true;
		v.p += comma ? n + 1 : n;
		v.len -= comma ? n + 1 : n;
	}
}

static int
set_once(struct http_slice v, struct http_slice *dst, bool *have)
{
	if (*have)
		return -EBADMSG; /* which one would count is not ours to guess */
	*dst = v;
	*have = true;
	return 0;
}

static int
parse_field(struct http_slice name, struct http_slice v, struct http_request_head *h)
{
	if (slice_is(name, "range"))
		return set_once(v, &h->range, &h->has_range);
	if (slice_is(name, "user-agent"))
		return set_once(v, &h->user_agent, &h->has_user_agent);
	if (slice_is(name, "if-range"))
		h->if_range = true;
	else if (slice_is(name, "content-length"))
		h->has_body |= !(v.len == 1 && v.p[0] == '0');
	else if (slice_is(name, "transfer-encoding"))
		h->has_body = true;
	else if (slice_is(name, "expect"))
		h->expect = true;
	else if (slice_is(name, "connection"))
		parse_connection(v, h);
	return 0;
}

/* field-name ":" OWS field-value OWS CRLF */
static int
parse_fields(struct reader *r, struct http_request_head *h)
{
	while (r->left >= 2 && !(r->p[0] == '\r' && r->p[1] == '\n')) {
		struct http_slice name = read_while(r, is_tchar), v;
		int k;

		if (name.len == 0 || r->left == 0 || r->p[0] != ':')
			return -EBADMSG; /* also obs-fold: a line beginning with whitespace */
		(void)read_skip(r, 1);
		v = trim(read_while(r, is_value_char));
		if ((k = read_crlf(r)) < 0 || (k = parse_field(name, v, h)) < 0)
			return k;
		if (++h->n_fields > HTTP_REQUEST_MAX_FIELDS)
			return -E2BIG;
	}
	return read_crlf(r);
}

/*
 * The length of the head (through CRLF CRLF), 0 when it has not ended yet;
 * a bare LF or CR is -EBADMSG at once, so that such a client is not left
 * waiting for a CRLF CRLF it will never send, and more lines than a head
 * may have are -E2BIG before it ends (each call scans from the start).
 */
static int
head_end(const char *buf, size_t max)
{
	size_t lines = 0;

	for (size_t i = 0; i < max; i++) {
		if (buf[i] == '\r' && i + 1 < max && buf[i + 1] != '\n')
			return -EBADMSG;
		if (buf[i] != '\n')
			continue;
		if (i == 0 || buf[i - 1] != '\r')
			return -EBADMSG;
		if (i >= 3 && buf[i - 2] == '\n' && buf[i - 3] == '\r')
			return (int)(i + 1);
		if (++lines > HTTP_REQUEST_MAX_FIELDS + 1)
			return -E2BIG;
	}
	return 0;
}

int
http_request_head_parse(const char *buf, size_t len, struct http_request_head *ret)
{
	size_t max = len < HTTP_REQUEST_MAX_HEAD ? len : HTTP_REQUEST_MAX_HEAD;
	struct http_request_head h = {0};
	struct reader r;
	int end = head_end(buf, max), k;

	if (end == 0)
		return len >= HTTP_REQUEST_MAX_HEAD ? -E2BIG : 0;
	if (end < 0)
		return end;
	r = reader_init(buf, (size_t)end);
	if ((k = parse_request_line(&r, &h)) < 0 || (k = parse_fields(&r, &h)) < 0)
		return k;
	if (r.left != 0)
		return -EBADMSG;
	*ret = h;
	return end;
}

bool
http_request_keep_alive(const struct http_request_head *h)
{
	if (h->conn_close)
		return false;
	return h->minor >= 1 || h->conn_keep_alive;
}
