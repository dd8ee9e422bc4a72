/*
 * Fuzz the TFTP codec: every parser on the input, then negotiation and the
 * OACK writer on whatever request parsed, and the file-name check.
 */
#include <string.h>

#include "fuzz.h"
#include "tftp-packet.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tftp_limits lims[] = {{0, 0}, {65464, 65535}, {8, 1}};
	uint8_t out[TFTP_PACKET_MAX];
	char msg[TFTP_ERRMSG_MAX + 1];
	struct tftp_request req;
	struct tftp_params p;
	const char *path;
	uint16_t v, code;

	(void)tftp_packet_opcode(data, size, &v);
	(void)tftp_ack_parse(data, size, &v);
	(void)tftp_error_parse(data, size, &code, msg);
	if (tftp_request_parse(data, size, &req) < 0)
		return 0;
	if (strlen(req.filename) > TFTP_FILENAME_MAX)
		__builtin_trap();
	for (size_t i = 0; i < sizeof(lims) / sizeof(lims[0]); i++) {
		struct writer w = writer_init(out, sizeof(out));

		tftp_negotiate(&req, &lims[i], &p);
		if (p.blksize < TFTP_BLKSIZE_MIN || p.blksize > TFTP_BLKSIZE_MAX ||
		    p.windowsize == 0)
			__builtin_trap();
		if (tftp_oack_write(&w, &p, UINT64_MAX) < 0)
			__builtin_trap();
	}
	if (tftp_filename_path(req.filename, &path) == 0 && (path[0] == '/' || path[0] == '\0'))
		__builtin_trap();
	return 0;
}
