#include "http-range.h"

#include <errno.h>
#include <stdbool.h>

#include "buf.h"

struct range_spec {
	bool suffix;    /* "-n": the last n bytes */
	bool open;      /* "a-": from a to the end */
	uint64_t first; /* a, or n for a suffix */
	uint64_t last;  /* b */
};

static bool
peek_is(const struct reader *r, char c)
{
	return r->left > 0 && r->p[0] == (uint8_t)c;
}

static void
skip_ows(struct reader *r)
{
	while (peek_is(r, ' ') || peek_is(r, '\t'))
		(void)read_skip(r, 1);
}

/* 1*DIGIT, saturating at UINT64_MAX: a huge last-pos is valid syntax. */
static int
read_digits(struct reader *r, uint64_t *ret)
{
	uint64_t v = 0;
	size_t n = 0;

	while (r->left > 0 && r->p[0] >= '0' && r->p[0] <= '9') {
		unsigned d = r->p[0] - '0';

		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
		(void)read_skip(r, 1);
		n++;
	}
	if (n == 0)
		return -EBADMSG;
	*ret = v;
	return 0;
}

/* int-range = first-pos "-" [ last-pos ]  /  suffix-range = "-" suffix-length */
static int
read_spec(struct reader *r, struct range_spec *ret)
{
	struct range_spec s = {0};

	if (peek_is(r, '-')) {
		s.suffix = true;
		(void)read_skip(r, 1);
		if (read_digits(r, &s.first) < 0)
			return -EBADMSG;
		*ret = s;
		return 0;
	}
	if (read_digits(r, &s.first) < 0 || !peek_is(r, '-'))
		return -EBADMSG;
	(void)read_skip(r, 1);
	if (r->left > 0 && r->p[0] >= '0' && r->p[0] <= '9') {
		(void)read_digits(r, &s.last);
		if (s.last < s.first)
			return -EBADMSG; /* RFC 9110 14.1.1: invalid */
	} else {
		s.open = true;
	}
	*ret = s;
	return 0;
}

/* "bytes=" with the unit matched case-insensitively.  -EOPNOTSUPP for other units. */
static int
read_unit(struct reader *r)
{
	static const char unit[] = "bytes";
	size_t i = 0;

	while (r->left > 0 && r->p[0] != '=') {
		uint8_t c = r->p[0];

		if (c <= ' ' || c >= 0x7f || c == ',')
			return -EBADMSG;
		if (i < sizeof(unit) - 1 && (c | 0x20) != (uint8_t)unit[i])
			i = sizeof(unit); /* some other unit */
		else
			i++;
		(void)read_skip(r, 1);
	}
	if (!peek_is(r, '=') || i == 0)
		return -EBADMSG;
	(void)read_skip(r, 1);
	return i == sizeof(unit) - 1 ? 0 : -EOPNOTSUPP;
}

/* range-set = 1#range-spec, empty list elements allowed (RFC 9110 5.6.1). */
static int
read_set(struct reader *r, struct range_spec *ret_first, unsigned *ret_n)
{
	unsigned n = 0;

	for (;;) {
		struct range_spec s;

		skip_ows(r);
		if (r->left == 0)
			break;
		if (peek_is(r, ',')) {
			(void)read_skip(r, 1);
			continue;
		}
		if (read_spec(r, &s) < 0)
			return -EBADMSG;
		if (n++ == 0)
			*ret_first = s;
		skip_ows(r);
		if (r->left > 0 && !peek_is(r, ','))
			return -EBADMSG;
	}
	if (n == 0)
		return -EBADMSG;
	*ret_n = n;
	return 0;
}

static int
spec_resolve(const struct range_spec *s, uint64_t size, struct http_range *ret)
{
	if (size == 0)
		return -ERANGE;
	if (s->suffix) {
		if (s->first == 0)
			return -ERANGE;
		*ret = (struct http_range){
		    .start = s->first >= size ? 0 : size - s->first,
		    .length = s->first >= size ? size : s->first,
		};
		return 0;
	}
	if (s->first >= size)
		return -ERANGE;
	*ret = (struct http_range){
	    .start = s->first,
	    .length = (s->open || s->last >= size - 1 ? size - 1 : s->last) - s->first + 1,
	};
	return 0;
}

int
http_range_parse(const char *value, size_t len, uint64_t size, struct http_range *ret)
{
	struct reader r = reader_init(value, len);
	struct range_spec first = {0};
	unsigned n;
	int k;

	if (len > HTTP_RANGE_MAX_LEN)
		return -EBADMSG;
	skip_ows(&r);
	k = read_unit(&r);
	if (k < 0)
		return k;
	if (read_set(&r, &first, &n) < 0)
		return -EBADMSG;
	if (n > 1)
		return -EOPNOTSUPP;
	return spec_resolve(&first, size, ret);
}
