/*
 * Syslog datagrams: <PRI>, then an RFC 5424 header or RFC 3164's optional
 * timestamp, host and tag, then the message; every byte read through a
 * struct reader.
 */
#include "syslog-msg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "util.h"

#define PRI_MAX 191 /* facility 23, severity 7 */

static const char *const facilities[] = {"kern", "user", "mail", "daemon", "auth", "syslog", "lpr",
    "news", "uucp", "cron", "authpriv", "ftp", "ntp", "audit", "alert", "clock", "local0", "local1",
    "local2", "local3", "local4", "local5", "local6", "local7"};
static const char *const severities[] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};

const char *
syslog_facility_name(unsigned facility)
{
	return facility < ELEMENTSOF(facilities) ? facilities[facility] : "?";
}

const char *
syslog_severity_name(unsigned severity)
{
	return severity < ELEMENTSOF(severities) ? severities[severity] : "?";
}

/* The length of the UTF-8 character at p (at most 'left' bytes); 0 if not valid UTF-8. */
static size_t
utf8_len(const uint8_t *p, size_t left)
{
	uint8_t c = p[0];
	size_t n;
	uint8_t lo = 0x80, hi = 0xbf; /* the second byte's range */

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		lo = c == 0xe0 ? 0xa0 : 0x80; /* overlong */
		hi = c == 0xed ? 0x9f : 0xbf; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		lo = c == 0xf0 ? 0x90 : 0x80; /* overlong */
		hi = c == 0xf4 ? 0x8f : 0xbf; /* past U+10FFFF */
	} else
		return 0;
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

size_t
syslog_text_sanitize(
    const uint8_t *in, size_t len, char *out, size_t cap, size_t *ret_out_len, bool *ret_escaped)
{
	size_t i = 0, o = 0;

	while (i < len) {
		size_t n = utf8_len(in + i, len - i);
		bool esc = n == 0 || (n == 1 && ((in[i] < 0x20 && in[i] != '\t') || in[i] == 0x7f));
		size_t need = esc ? 4 : n;

		if (o + need + 1 > cap)
			break;
		if (esc) {
			snprintf(out + o, 5, "\\x%02x", in[i]);
			*ret_escaped = true;
			n = 1;
		} else
			memcpy(out + o, in + i, n);
		o += need;
		i += n;
	}
	out[o] = '\0';
	*ret_out_len = o;
	return i;
}

/* A header field: copy the bytes, sanitized and cut at the field's size. */
static void
field_set(char *field, size_t size, const uint8_t *p, size_t n, bool *escaped)
{
	size_t out_len;

	(void)syslog_text_sanitize(p, n, field, size, &out_len, escaped);
}

/* The bytes up to the next space (or the end): their number. */
static size_t
word_len(const struct reader *r)
{
	const uint8_t *sp = memchr(r->p, ' ', r->left);

	return sp != NULL ? (size_t)(sp - r->p) : r->left;
}

/* "<PRI>": 1-3 digits, at most 191.  True and the reader past it, else the reader untouched. */
static bool
read_pri(struct reader *r, unsigned *ret)
{
	unsigned v = 0;
	size_t i = 1;

	if (r->left < 3 || r->p[0] != '<')
		return false;
	for (; i < r->left && i <= 3 && r->p[i] >= '0' && r->p[i] <= '9'; i++)
		v = v * 10 + (unsigned)(r->p[i] - '0');
	if (i == 1 || i >= r->left || r->p[i] != '>' || v > PRI_MAX)
		return false;
	(void)read_skip(r, i + 1);
	*ret = v;
	return true;
}

static int
read_digits(const char *s, size_t n, int *ret)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's days_from_civil). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The fraction and the zone after "YYYY-MM-DDTHH:MM:SS": milliseconds and offset seconds. */
static int
time_tail(const char *s, size_t len, int *ret_ms, int *ret_offset)
{
	size_t i = 0;
	int ms = 0, oh, om, scale = 100;

	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			ms += (s[i] - '0') * scale;
			scale /= 10;
		}
		if (i == 1 || i > 7) /* RFC 5424: 1-6 digits */
			return -EINVAL;
	}
	if (len - i == 1 && (s[i] == 'Z' || s[i] == 'z')) {
		*ret_ms = ms;
		*ret_offset = 0;
		return 0;
	}
	if (len - i != 6 || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':' ||
	    read_digits(s + i + 1, 2, &oh) < 0 || read_digits(s + i + 4, 2, &om) < 0 || oh > 23 ||
	    om > 59)
		return -EINVAL;
	*ret_ms = ms;
	*ret_offset = (s[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	return 0;
}

int
syslog_time_parse(const char *s, size_t len, int64_t *ret_ms)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, ms, off;
	int64_t t;

	if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':' || read_digits(s, 4, &y) < 0 ||
	    read_digits(s + 5, 2, &mo) < 0 || read_digits(s + 8, 2, &d) < 0 ||
	    read_digits(s + 11, 2, &h) < 0 || read_digits(s + 14, 2, &mi) < 0 ||
	    read_digits(s + 17, 2, &sec) < 0 || time_tail(s + 19, len - 19, &ms, &off) < 0)
		return -EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
	    sec > 60)
		return -EINVAL;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	if (t < 0)
		return -EINVAL;
	*ret_ms = t * 1000 + ms;
	return 0;
}

/* One RFC 5424 header field and the space after it; "-" is none. */
static int
read_field(struct reader *r, char *field, size_t size, struct syslog_msg *m)
{
	size_t n = word_len(r);

	if (n == r->left || n == 0)
		return -EBADMSG;
	if (!(n == 1 && r->p[0] == '-'))
		field_set(field, size, r->p, n, &m->escaped);
	return read_skip(r, n + 1);
}

/* STRUCTURED-DATA: "-" or one or more [id param="value"...] ("\]" and "\"" escaped). */
static int
skip_sd(struct reader *r)
{
	bool in_elem = false, in_value = false;
	size_t i = 0;

	if (r->left > 0 && r->p[0] == '-')
		return read_skip(r, 1);
	for (; i < r->left; i++) {
		uint8_t c = r->p[i];

		if (in_value && c == '\\' && i + 1 < r->left)
			i++;
		else if (in_value && c == '"')
			in_value = false;
		else if (in_elem && !in_value && c == '"')
			in_value = true;
		else if (!in_elem && c == '[')
			in_elem = true;
		else if (in_elem && !in_value && c == ']')
			in_elem = false;
		else if (!in_elem)
			break;
	}
	if (i == 0 || in_elem)
		return -EBADMSG;
	return read_skip(r, i);
}

/* After "<PRI>1 ": the header; on a broken one, what is left is the message. */
static void
parse_5424(struct reader *r, struct syslog_msg *m)
{
	size_t n = word_len(r);
	static const uint8_t bom[] = {0xef, 0xbb, 0xbf};

	if (n == r->left)
		return;
	if (!(n == 1 && r->p[0] == '-')) {
		field_set(m->timestamp, sizeof(m->timestamp), r->p, n, &m->escaped);
		if (syslog_time_parse((const char *)r->p, n, &m->time_ms) < 0)
			m->time_ms = 0;
	}
	(void)read_skip(r, n + 1);
	if (read_field(r, m->hostname, sizeof(m->hostname), m) < 0 ||
	    read_field(r, m->app, sizeof(m->app), m) < 0 ||
	    read_field(r, m->procid, sizeof(m->procid), m) < 0 ||
	    read_field(r, m->msgid, sizeof(m->msgid), m) < 0 || skip_sd(r) < 0)
		return;
	if (r->left > 0 && r->p[0] == ' ')
		(void)read_skip(r, 1);
	if (r->left >= sizeof(bom) && memcmp(r->p, bom, sizeof(bom)) == 0)
		(void)read_skip(r, sizeof(bom));
}

/* "Mmm dd hh:mm:ss " (the day padded with a space). */
static bool
is_3164_time(const struct reader *r)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const uint8_t *p = r->p;
	bool month = false;

	if (r->left < 16)
		return false;
	for (size_t i = 0; i + 3 <= sizeof(months) - 1; i += 3)
		month = month || memcmp(p, months + i, 3) == 0;
	return month && p[3] == ' ' && (p[4] == ' ' || (p[4] >= '0' && p[4] <= '3')) &&
	       p[5] >= '0' && p[5] <= '9' && p[6] == ' ' && p[9] == ':' && p[12] == ':' &&
	       p[15] == ' ';
}

/* "TAG: " or "TAG[PID]: ", TAG of printable characters without ":[ "; else nothing. */
static void
parse_tag(struct reader *r, struct syslog_msg *m)
{
	size_t n = 0, pid = 0, pid_len = 0, end;

	while (n < r->left && n <= SYSLOG_MSG_APP_MAX && r->p[n] > ' ' && r->p[n] < 0x7f &&
	       r->p[n] != ':' && r->p[n] != '[')
		n++;
	if (n == 0 || n > SYSLOG_MSG_APP_MAX || n == r->left)
		return;
	end = n;
	if (r->p[n] == '[') {
		pid = n + 1;
		while (pid + pid_len < r->left && r->p[pid + pid_len] != ']' &&
		       pid_len <= SYSLOG_MSG_PROCID_MAX)
			pid_len++;
		if (pid + pid_len >= r->left || r->p[pid + pid_len] != ']')
			return;
		end = pid + pid_len + 1;
	}
	if (end >= r->left || r->p[end] != ':')
		return;
	field_set(m->app, sizeof(m->app), r->p, n, &m->escaped);
	if (pid > 0)
		field_set(m->procid, sizeof(m->procid), r->p + pid, pid_len, &m->escaped);
	end++;
	if (end < r->left && r->p[end] == ' ')
		end++;
	(void)read_skip(r, end);
}

static void
parse_3164(struct reader *r, struct syslog_msg *m)
{
	if (is_3164_time(r)) {
		size_t n;

		field_set(m->timestamp, sizeof(m->timestamp), r->p, 15, &m->escaped);
		(void)read_skip(r, 16);
		n = word_len(r);
		if (n > 0 && n < r->left) {
			field_set(m->hostname, sizeof(m->hostname), r->p, n, &m->escaped);
			(void)read_skip(r, n + 1);
		}
	}
	parse_tag(r, m);
}

int
syslog_msg_parse(const uint8_t *buf, size_t len, char *msg, size_t msg_cap, struct syslog_msg *ret)
{
	struct syslog_msg m = {.format = SYSLOG_MSG_RAW,
	    .facility = SYSLOG_FACILITY_USER,
	    .severity = SYSLOG_SEVERITY_NOTICE,
	    .msg = msg};
	struct reader r;
	unsigned pri;

	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == '\0'))
		len--;
	if (len == 0)
		return -EBADMSG;
	r = reader_init(buf, len);
	if (read_pri(&r, &pri)) {
		m.facility = (uint8_t)(pri / 8);
		m.severity = (uint8_t)(pri % 8);
		m.format = SYSLOG_MSG_RFC3164;
		if (r.left >= 2 && r.p[0] == '1' && r.p[1] == ' ') {
			m.format = SYSLOG_MSG_RFC5424;
			(void)read_skip(&r, 2);
			parse_5424(&r, &m);
		} else
			parse_3164(&r, &m);
	}
	m.truncated =
	    syslog_text_sanitize(r.p, r.left, msg, msg_cap, &m.msg_len, &m.escaped) < r.left;
	*ret = m;
	return 0;
}
