#include "tftp-packet.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

const struct tftp_option_bounds tftp_option_bounds[_TFTP_OPT_MAX] = {
    [TFTP_OPT_BLKSIZE] = {"blksize", TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX}, /* RFC 2348 */
    [TFTP_OPT_TIMEOUT] = {"timeout", 1, 255},                             /* RFC 2349 */
    [TFTP_OPT_TSIZE] = {"tsize", 0, INT64_MAX},                           /* RFC 2349 */
    [TFTP_OPT_WINDOWSIZE] = {"windowsize", 1, 65535},                     /* RFC 7440 */
};

int
tftp_packet_opcode(const void *buf, size_t len, uint16_t *ret)
{
	struct reader r = reader_init(buf, len);

	return read_be16(&r, ret);
}

/* Take the next NUL-terminated string off the reader.  -EBADMSG if unterminated. */
static int
read_cstr(struct reader *r, const char **ret, size_t *ret_len)
{
	const uint8_t *nul = memchr(r->p, 0, r->left);
	size_t n;

	if (r->left == 0 || nul == NULL)
		return -EBADMSG;
	n = (size_t)(nul - r->p);
	*ret = (const char *)r->p;
	*ret_len = n;
	return read_skip(r, n + 1);
}

/* Plain decimal digits only, no sign, no spaces, no overflow. */
static int
parse_u64(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return -EBADMSG;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EBADMSG;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

static int
parse_mode(const char *s, size_t len, enum tftp_mode *ret)
{
	static const char *const names[] = {[TFTP_MODE_NETASCII] = "netascii",
	    [TFTP_MODE_OCTET] = "octet",
	    [TFTP_MODE_MAIL] = "mail"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncasecmp(s, names[i], len) == 0) {
			*ret = (enum tftp_mode)i;
			return 0;
		}
	return -EBADMSG;
}

static int
option_lookup(const char *name, size_t len)
{
	for (int i = 0; i < _TFTP_OPT_MAX; i++)
		if (strlen(tftp_option_bounds[i].name) == len &&
		    strncasecmp(name, tftp_option_bounds[i].name, len) == 0)
			return i;
	return -ENOENT;
}

/* Record one option if known, valid and not seen before; ignore it otherwise. */
static void
option_add(struct tftp_request *req, const char *name, size_t nlen, const char *val, size_t vlen)
{
	int i = option_lookup(name, nlen);
	uint64_t v;

	if (i < 0 || (req->options & (1u << i)) != 0)
		return;
	if (parse_u64(val, vlen, &v) < 0)
		return;
	if (v < tftp_option_bounds[i].min || v > tftp_option_bounds[i].max)
		return;
	if (i == TFTP_OPT_TSIZE && req->opcode == TFTP_RRQ && v != 0)
		return;
	req->options |= 1u << i;
	req->value[i] = v;
}

static void
parse_options(struct reader *r, struct tftp_request *req)
{
	const char *name, *val;
	size_t nlen, vlen;

	while (r->left > 0) {
		if (read_cstr(r, &name, &nlen) < 0 || nlen == 0)
			return;
		if (read_cstr(r, &val, &vlen) < 0)
			return;
		option_add(req, name, nlen, val, vlen);
	}
}

int
tftp_request_parse(const void *buf, size_t len, struct tftp_request *ret)
{
	struct reader r = reader_init(buf, len);
	struct tftp_request req = {0};
	const char *name, *mode;
	size_t nlen, mlen;
	uint16_t op;
	int k;

	if ((k = read_be16(&r, &op)) < 0)
		return k;
	if (op != TFTP_RRQ && op != TFTP_WRQ)
		return -EBADMSG;
	req.opcode = op;
	if (read_cstr(&r, &name, &nlen) < 0 || nlen == 0 || nlen > TFTP_FILENAME_MAX)
		return -EBADMSG;
	if (read_cstr(&r, &mode, &mlen) < 0 || parse_mode(mode, mlen, &req.mode) < 0)
		return -EBADMSG;
	memcpy(req.filename, name, nlen);
	req.filename[nlen] = '\0';
	parse_options(&r, &req);
	*ret = req;
	return 0;
}

int
tftp_ack_parse(const void *buf, size_t len, uint16_t *ret_block)
{
	struct reader r = reader_init(buf, len);
	uint16_t op, block;
	int k;

	if ((k = read_be16(&r, &op)) < 0)
		return k;
	if (op != TFTP_ACK)
		return -EBADMSG;
	if ((k = read_be16(&r, &block)) < 0)
		return k;
	*ret_block = block;
	return 0;
}

int
tftp_error_parse(const void *buf, size_t len, uint16_t *ret_code, char ret_msg[TFTP_ERRMSG_MAX + 1])
{
	struct reader r = reader_init(buf, len);
	uint16_t op, code;
	size_t n;
	int k;

	if ((k = read_be16(&r, &op)) < 0)
		return k;
	if (op != TFTP_ERROR)
		return -EBADMSG;
	if ((k = read_be16(&r, &code)) < 0)
		return k;
	n = strnlen((const char *)r.p, r.left);
	if (n > TFTP_ERRMSG_MAX)
		n = TFTP_ERRMSG_MAX;
	memcpy(ret_msg, r.p, n);
	ret_msg[n] = '\0';
	*ret_code = code;
	return 0;
}

static unsigned
clamp_limit(unsigned v, unsigned def, unsigned lo, unsigned hi)
{
	if (v == 0)
		v = def;
	return v < lo ? lo : v > hi ? hi : v;
}

void
tftp_negotiate(
    const struct tftp_request *req, const struct tftp_limits *lim, struct tftp_params *ret)
{
	unsigned maxblk = clamp_limit(
	    lim->max_blksize, TFTP_DEFAULT_MAX_BLKSIZE, TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX);
	unsigned maxwin = clamp_limit(lim->max_windowsize, TFTP_DEFAULT_MAX_WINDOWSIZE, 1, 65535);
	struct tftp_params p = {
	    .blksize = TFTP_BLKSIZE_DEFAULT,
	    .windowsize = TFTP_WINDOWSIZE_DEFAULT,
	    .options = req->options,
	};

	if (req->options & (1u << TFTP_OPT_BLKSIZE))
		p.blksize =
		    (uint16_t)(req->value[TFTP_OPT_BLKSIZE] < maxblk ? req->value[TFTP_OPT_BLKSIZE]
		                                                     : maxblk);
	if (req->options & (1u << TFTP_OPT_WINDOWSIZE))
		p.windowsize = (uint16_t)(req->value[TFTP_OPT_WINDOWSIZE] < maxwin
		                              ? req->value[TFTP_OPT_WINDOWSIZE]
		                              : maxwin);
	if (req->options & (1u << TFTP_OPT_TIMEOUT))
		p.timeout = (uint8_t)req->value[TFTP_OPT_TIMEOUT];
	*ret = p;
}

static int
write_option(struct writer *w, const char *name, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRIu64, v);
	int k;

	if ((k = write_bytes(w, name, strlen(name) + 1)) < 0)
		return k;
	return write_bytes(w, num, (size_t)n + 1);
}

int
tftp_oack_write(struct writer *w, const struct tftp_params *p, uint64_t tsize)
{
	const uint64_t vals[_TFTP_OPT_MAX] = {
	    [TFTP_OPT_BLKSIZE] = p->blksize,
	    [TFTP_OPT_TIMEOUT] = p->timeout,
	    [TFTP_OPT_TSIZE] = tsize,
	    [TFTP_OPT_WINDOWSIZE] = p->windowsize,
	};
	int k;

	if ((k = write_be16(w, TFTP_OACK)) < 0)
		return k;
	for (int i = 0; i < _TFTP_OPT_MAX; i++)
		if ((p->options & (1u << i)) &&
		    (k = write_option(w, tftp_option_bounds[i].name, vals[i])) < 0)
			return k;
	return 0;
}

int
tftp_error_write(struct writer *w, uint16_t code, const char *msg)
{
	size_t n = strnlen(msg, TFTP_ERRMSG_MAX);
	int k;

	if ((k = write_be16(w, TFTP_ERROR)) < 0 || (k = write_be16(w, code)) < 0 ||
	    (k = write_bytes(w, msg, n)) < 0)
		return k;
	return write_u8(w, 0);
}

int
tftp_data_header_write(struct writer *w, uint16_t block)
{
	int k;

	if ((k = write_be16(w, TFTP_DATA)) < 0)
		return k;
	return write_be16(w, block);
}

int
tftp_ack_write(struct writer *w, uint16_t block)
{
	int k;

	if ((k = write_be16(w, TFTP_ACK)) < 0)
		return k;
	return write_be16(w, block);
}

static bool
has_dotdot(const char *p)
{
	for (;;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		if (p[n] == '\0')
			return false;
		p += n + 1;
	}
}

int
tftp_filename_path(const char *name, const char **ret)
{
	const char *p = name[0] == '/' ? name + 1 : name;

	if (p[0] == '\0' || p[0] == '/' || has_dotdot(p))
		return -EACCES;
	for (const char *c = p; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return -EACCES;
	*ret = p;
	return 0;
}
