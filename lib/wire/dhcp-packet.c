#include "dhcp-packet.h"

#include <errno.h>
#include <string.h>

static int
read_addr(struct reader *r, struct in_addr *ret)
{
	return read_bytes(r, &ret->s_addr, sizeof(ret->s_addr));
}

static int
parse_header(struct reader *r, struct dhcp_header *h)
{
	uint32_t cookie;

	if (read_u8(r, &h->op) < 0 || read_u8(r, &h->htype) < 0 || read_u8(r, &h->hlen) < 0 ||
	    read_u8(r, &h->hops) < 0 || read_be32(r, &h->xid) < 0 || read_be16(r, &h->secs) < 0 ||
	    read_be16(r, &h->flags) < 0 || read_addr(r, &h->ciaddr) < 0 ||
	    read_addr(r, &h->yiaddr) < 0 || read_addr(r, &h->siaddr) < 0 ||
	    read_addr(r, &h->giaddr) < 0 || read_bytes(r, h->chaddr, DHCP_CHADDR_LEN) < 0 ||
	    read_bytes(r, h->sname, DHCP_SNAME_LEN) < 0 ||
	    read_bytes(r, h->file, DHCP_FILE_LEN) < 0 || read_be32(r, &cookie) < 0)
		return -ENOBUFS;
	if (h->op != DHCP_OP_BOOTREQUEST && h->op != DHCP_OP_BOOTREPLY)
		return -EBADMSG;
	if (h->hlen > DHCP_CHADDR_LEN)
		return -EBADMSG;
	if (cookie != DHCP_MAGIC_COOKIE)
		return -EBADMSG;
	return 0;
}

/* Point the iterator's reader at its current area; false when none is left. */
static bool
iter_enter_area(struct dhcp_option_iter *it)
{
	const uint8_t *raw = it->pkt->raw;

	for (;;) {
		switch (it->area) {
		case 0:
			it->r = reader_init(raw + DHCP_MIN_LEN, it->pkt->raw_len - DHCP_MIN_LEN);
			return true;
		case 1:
			if (it->overload & 1) {
				it->r = reader_init(raw + DHCP_FILE_OFFSET, DHCP_FILE_LEN);
				return true;
			}
			break;
		case 2:
			if (it->overload & 2) {
				it->r = reader_init(raw + DHCP_SNAME_OFFSET, DHCP_SNAME_LEN);
				return true;
			}
			break;
		default:
			return false;
		}
		it->area++;
	}
}

void
dhcp_option_iter_init(struct dhcp_option_iter *it, const struct dhcp_packet *pkt)
{
	*it = (struct dhcp_option_iter){.pkt = pkt, .area = 0, .overload = pkt->overload};
	iter_enter_area(it);
}

/* One TLV of the current area: 1 option, 0 END of this area, <0 error. */
static int
iter_read_one(struct dhcp_option_iter *it, uint8_t *ret_code, struct reader *ret_body)
{
	uint8_t code, len;

	do {
		if (read_u8(&it->r, &code) < 0)
			return -ENOBUFS; /* area ended without END */
	} while (code == DHCP_OPT_PAD);
	if (code == DHCP_OPT_END)
		return 0;
	if (read_u8(&it->r, &len) < 0 || read_sub(&it->r, len, ret_body) < 0)
		return -ENOBUFS;
	*ret_code = code;
	return 1;
}

int
dhcp_option_next(struct dhcp_option_iter *it, uint8_t *ret_code, struct reader *ret_body)
{
	int r;

	for (;;) {
		if (it->area > 2)
			return 0;
		r = iter_read_one(it, ret_code, ret_body);
		if (r != 0)
			return r;
		it->area++;
		if (!iter_enter_area(it))
			return 0;
	}
}

/* Walk the options field alone and return option 52's value (0 if none). */
static int
find_overload(const struct dhcp_packet *pkt, uint8_t *ret)
{
	struct dhcp_option_iter it = {.pkt = pkt, .area = 0, .overload = 0};
	struct reader body;
	uint8_t code, v = 0;
	int r;

	iter_enter_area(&it);
	while ((r = iter_read_one(&it, &code, &body)) > 0) {
		if (code != DHCP_OPT_OVERLOAD)
			continue;
		if (body.left != 1 || body.p[0] < 1 || body.p[0] > 3 || v != 0)
			return -EBADMSG;
		v = body.p[0];
	}
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

static int
validate_options(const struct dhcp_packet *pkt)
{
	struct dhcp_option_iter it;
	struct reader body;
	uint8_t code;
	int r;

	dhcp_option_iter_init(&it, pkt);
	while ((r = dhcp_option_next(&it, &code, &body)) > 0)
		;
	return r;
}

int
dhcp_packet_parse(const void *buf, size_t len, struct dhcp_packet *ret)
{
	struct reader r = reader_init(buf, len);
	struct dhcp_packet pkt = {.raw = buf, .raw_len = len};
	int k;

	k = parse_header(&r, &pkt.header);
	if (k < 0)
		return k;
	k = find_overload(&pkt, &pkt.overload);
	if (k < 0)
		return k;
	k = validate_options(&pkt);
	if (k < 0)
		return k;
	*ret = pkt;
	return 0;
}

int
dhcp_packet_get_option(const struct dhcp_packet *pkt, uint8_t code, struct reader *ret_body)
{
	struct dhcp_option_iter it;
	struct reader body;
	uint8_t c;
	int r;

	dhcp_option_iter_init(&it, pkt);
	while ((r = dhcp_option_next(&it, &c, &body)) > 0)
		if (c == code) {
			*ret_body = body;
			return 0;
		}
	return r < 0 ? r : -ENOENT;
}

static int
write_addr(struct writer *w, struct in_addr a)
{
	return write_bytes(w, &a.s_addr, sizeof(a.s_addr));
}

int
dhcp_writer_init(struct dhcp_writer *dw, void *buf, size_t cap, const struct dhcp_header *h)
{
	struct writer w;

	if (cap < DHCP_MIN_LEN + 1)
		return -ENOBUFS;
	w = writer_init(buf, cap - 1);
	if (write_u8(&w, h->op) < 0 || write_u8(&w, h->htype) < 0 || write_u8(&w, h->hlen) < 0 ||
	    write_u8(&w, h->hops) < 0 || write_be32(&w, h->xid) < 0 ||
	    write_be16(&w, h->secs) < 0 || write_be16(&w, h->flags) < 0 ||
	    write_addr(&w, h->ciaddr) < 0 || write_addr(&w, h->yiaddr) < 0 ||
	    write_addr(&w, h->siaddr) < 0 || write_addr(&w, h->giaddr) < 0 ||
	    write_bytes(&w, h->chaddr, DHCP_CHADDR_LEN) < 0 ||
	    write_bytes(&w, h->sname, DHCP_SNAME_LEN) < 0 ||
	    write_bytes(&w, h->file, DHCP_FILE_LEN) < 0 || write_be32(&w, DHCP_MAGIC_COOKIE) < 0)
		return -ENOBUFS;
	dw->w = w;
	dw->total_cap = cap;
	return 0;
}

int
dhcp_writer_put(struct dhcp_writer *dw, uint8_t code, const void *data, size_t len)
{
	size_t saved = dw->w.len;

	if (code == DHCP_OPT_PAD || code == DHCP_OPT_END || len > 255)
		return -EINVAL;
	if (write_u8(&dw->w, code) < 0 || write_u8(&dw->w, (uint8_t)len) < 0 ||
	    write_bytes(&dw->w, data, len) < 0) {
		dw->w.len = saved; /* no half-written option */
		return -ENOBUFS;
	}
	return 0;
}

int
dhcp_writer_finish(struct dhcp_writer *dw, size_t *ret_len)
{
	size_t len = dw->w.len;

	if (dw->total_cap == 0)
		return -EINVAL; /* finished already */
	/* The END byte was reserved by dhcp_writer_init(). */
	dw->w.p[len++] = DHCP_OPT_END;
	if (len < DHCP_MIN_REPLY_LEN && dw->total_cap >= DHCP_MIN_REPLY_LEN) {
		memset(dw->w.p + len, 0, DHCP_MIN_REPLY_LEN - len);
		len = DHCP_MIN_REPLY_LEN;
	}
	dw->w.len = len;
	dw->w.cap = len; /* finished: nothing more fits */
	dw->total_cap = 0;
	*ret_len = len;
	return 0;
}
