/*
 * Fuzz the syslog datagram parser: with a roomy and a tiny message buffer,
 * every output must be NUL-terminated, within its cap, free of control
 * characters and valid UTF-8 (checked by sanitizing it again: nothing may
 * change); and the timestamp parser on the same bytes.
 */
#include <string.h>

#include "fuzz.h"
#include "syslog-msg.h"

static void
check_text(const char *s, size_t cap)
{
	char again[1024];
	size_t len = strlen(s), out_len;
	bool escaped = false;

	if (len >= cap || len >= sizeof(again))
		FUZZ_CHECK(0);
	if (syslog_text_sanitize(
	        (const uint8_t *)s, len, again, sizeof(again), &out_len, &escaped) != len ||
	    escaped || out_len != len || memcmp(again, s, len) != 0)
		FUZZ_CHECK(0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = {1, 7, 512};
	char msg[512];
	struct syslog_msg m;
	int64_t t;

	(void)syslog_time_parse((const char *)data, size, &t);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (syslog_msg_parse(data, size, msg, caps[i], &m) < 0)
			continue;
		if (m.msg != msg || m.msg_len != strlen(msg) || m.facility > 23 || m.severity > 7)
			FUZZ_CHECK(0);
		check_text(m.msg, caps[i]);
		check_text(m.timestamp, sizeof(m.timestamp));
		check_text(m.hostname, sizeof(m.hostname));
		check_text(m.app, sizeof(m.app));
		check_text(m.procid, sizeof(m.procid));
		check_text(m.msgid, sizeof(m.msgid));
	}
	return 0;
}
