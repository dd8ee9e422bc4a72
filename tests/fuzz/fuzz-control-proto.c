/*
 * Feed arbitrary bytes through the control frame decoder, then every frame
 * found through the request parser and the reply/event parser.
 */
#include <stdlib.h>
#include <string.h>

#include "control-proto.h"
#include "fuzz.h"

static void
check_request(const uint8_t *p, size_t n)
{
	struct control_request r;
	struct control_status err;
	uint8_t *f;
	size_t len;

	if (control_request_parse(p, n, &r, &err) < 0) {
		FUZZ_CHECK(control_error_to_string(err.code) != NULL);
		FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL);
		return;
	}
	FUZZ_CHECK(r.command != NULL && cJSON_IsObject(r.args));
	FUZZ_CHECK(control_commands_lookup(r.command->name) == r.command);
	FUZZ_CHECK(control_args_validate(r.command, r.args, &err) == 0);
	/* a request that parses survives a rebuild */
	if (control_request_build(r.command->name, r.args, &f, &len) == 0) {
		struct control_request again;

		FUZZ_CHECK(control_request_parse(f + CONTROL_HEADER_LEN, len - CONTROL_HEADER_LEN,
		               &again, &err) == 0);
		FUZZ_CHECK(again.command == r.command);
		control_request_done(&again);
		free(f);
	}
	control_request_done(&r);
}

static void
check_message(const uint8_t *p, size_t n)
{
	struct control_message m;

	if (control_message_parse(p, n, &m) < 0)
		return;
	FUZZ_CHECK(m.root != NULL);
	if (m.kind == CONTROL_MSG_ERROR)
		FUZZ_CHECK(m.code != NULL && m.text != NULL);
	if (m.kind == CONTROL_MSG_EVENT)
		FUZZ_CHECK(m.event != NULL && m.data != NULL);
	control_message_done(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off, len;

	/* the whole input as one payload */
	check_request(data, size);
	check_message(data, size);
	/* and as a stream of frames */
	while (control_frame_decode(data, size, &off, &len) == 0) {
		FUZZ_CHECK(off == CONTROL_HEADER_LEN && len >= 1 && len <= CONTROL_MAX_FRAME);
		FUZZ_CHECK(off + len <= size);
		check_request(data + off, len);
		check_message(data + off, len);
		data += off + len;
		size -= off + len;
	}
	return 0;
}
