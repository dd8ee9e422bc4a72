/*
 * etcd's gateway JSON: the input is parsed as a unary reply, as one watch
 * message, and as a stream fed in two chunks (the first byte chooses the
 * cut) and then byte by byte; both feedings must yield the same messages.
 * Every parsed key and value is re-encoded in base64 and decoded back.
 * The stream's messages are batched as daemon/etcd.c does (fragments merged
 * until one is not a fragment): the events add up, or the merge fails and
 * changes nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "etcd-json.h"
#include "fuzz.h"

static void
kv_roundtrip(const struct etcd_json_kv *kv)
{
	char *enc = NULL, *dec = NULL;
	size_t n = 0;

	FUZZ_CHECK(kv->key != NULL && kv->value != NULL);
	FUZZ_CHECK(kv->key[kv->key_len] == '\0' && kv->value[kv->value_len] == '\0');
	if (etcd_json_base64_encode(kv->value, kv->value_len, &enc) < 0)
		return;
	FUZZ_CHECK(etcd_json_base64_decode(enc, strlen(enc), &dec, &n) == 0);
	FUZZ_CHECK(n == kv->value_len && memcmp(dec, kv->value, n) == 0);
	free(enc);
	free(dec);
}

/* The daemon's watch batch: message m (consumed) merged into *batch. */
static void
batch_add(struct etcd_json_watch_msg *batch, bool *have, struct etcd_json_watch_msg *m)
{
	size_t n = batch->n_events, size = batch->size, from = m->n_events;
	int k;

	if (!*have) {
		*batch = *m;
		*m = (struct etcd_json_watch_msg){0};
		*have = true;
	} else if ((k = etcd_json_watch_msg_merge(batch, m)) == 0) {
		FUZZ_CHECK(batch->n_events == n + from && m->n_events == 0 && m->events == NULL);
		FUZZ_CHECK(batch->size == size + m->size);
	} else {
		FUZZ_CHECK(k == -EMSGSIZE || k == -ENOMEM);
		FUZZ_CHECK(batch->n_events == n && batch->size == size && m->n_events == from);
	}
	etcd_json_watch_msg_done(m);
	if (*have && !batch->fragment) {
		etcd_json_watch_msg_done(batch);
		*have = false;
	}
}

/* Feed in pieces of 'step' bytes (0: two chunks cut at 'cut'); a digest of what came out. */
static unsigned long
stream_run(const uint8_t *data, size_t size, size_t step, size_t cut)
{
	struct etcd_json_stream s;
	struct etcd_json_watch_msg m, batch = {0};
	unsigned long digest = 0;
	size_t off = 0;
	bool have = false;

	etcd_json_stream_init(&s);
	while (off < size) {
		size_t n = step > 0 ? step : (off == 0 && cut > 0 ? cut : size - off);
		int k;

		if (n > size - off)
			n = size - off;
		if (etcd_json_stream_feed(&s, data + off, n) < 0)
			break;
		off += n;
		while ((k = etcd_json_stream_next(&s, &m)) != 0) {
			if (k == -EMSGSIZE)
				break;
			digest = digest * 31 + (unsigned long)(k + 7);
			if (k == 1) {
				digest = digest * 31 + m.n_events + (unsigned long)m.revision;
				for (size_t i = 0; i < m.n_events; i++)
					kv_roundtrip(&m.events[i].kv);
				batch_add(&batch, &have, &m);
			}
		}
		if (k == -EMSGSIZE)
			break;
	}
	if (have)
		etcd_json_watch_msg_done(&batch);
	etcd_json_stream_done(&s);
	return digest;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct etcd_json_reply r;
	struct etcd_json_watch_msg m;

	if (etcd_json_reply_parse(data, size, &r) == 0) {
		FUZZ_CHECK(!r.failed || r.message != NULL);
		for (size_t i = 0; i < r.n_kvs; i++)
			kv_roundtrip(&r.kvs[i]);
		etcd_json_reply_done(&r);
	}
	if (etcd_json_watch_msg_parse(data, size, &m) == 0) {
		for (size_t i = 0; i < m.n_events; i++)
			kv_roundtrip(&m.events[i].kv);
		etcd_json_watch_msg_done(&m);
	}
	if (size > 0 && size < 65536)
		FUZZ_CHECK(
		    stream_run(data, size, 0, data[0] % size) == stream_run(data, size, 1, 0));
	return 0;
}
