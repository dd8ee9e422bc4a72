/*
 * The control protocol between netbootctl and netbootd.  Pure code: frame
 * codec, request parsing and validation, reply/event builders.  No I/O.
 *
 * A frame is a 4-byte big-endian length N (1 <= N <= CONTROL_MAX_FRAME)
 * followed by N bytes of one UTF-8 JSON object.
 *
 *   request:  {"version":1,"command":"NAME","args":{...}}   ("args" optional)
 *   reply:    {"ok":true,"data":<any>}
 *             {"ok":false,"error":{"code":"CODE","message":"sentence"}}
 *   event:    {"event":"progress"|"boot","data":{...}}
 *
 * Streaming commands (add-image, watch) send events before the final reply;
 * watch never sends one.
 */
#ifndef NETBOOTD_CONTROL_PROTO_H
#define NETBOOTD_CONTROL_PROTO_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control-commands.h"
#include "mac.h"
#include "name.h"

#define CONTROL_PROTOCOL_VERSION 1
#define CONTROL_HEADER_LEN       4
#define CONTROL_MAX_FRAME        (1024 * 1024) /* bytes of JSON in one frame */
#define CONTROL_MAX_DEPTH        32            /* JSON nesting accepted in a frame */
#define CONTROL_NAME_MAX         NAME_MAX_LEN  /* image and config names */
#define CONTROL_MAX_CONFIG       (256 * 1024)  /* bytes of one cloud-config */
#define CONTROL_MAX_CMDLINE      2048          /* bytes of a kernel command line */
#define CONTROL_WORD_MAX         64            /* an explain arch, uuid or interface */
#define CONTROL_MAX_PATH         4096          /* source paths and OCI references */
#define CONTROL_MAX_FDS          3             /* descriptors passed with one request */
#define CONTROL_MESSAGE_MAX      256           /* error message buffer, with NUL */
#define CONTROL_MAX_LABELS       32      /* labels of one machine or group (FLEET_MAX_LABELS) */
#define CONTROL_MAX_LABEL        63      /* bytes of a label key or value */
#define CONTROL_MAX_SELECTOR     36      /* bytes of a mac, uuid, arch or interface selector */
#define CONTROL_MAX_PRIORITY     1000000 /* |priority| of a group (FLEET_PRIORITY_MAX) */
#define CONTROL_MAX_FILES        4096    /* files sent with one apply */

/* Stable error codes of the wire protocol. */
enum control_error {
	CONTROL_ERR_BAD_FRAME,
	CONTROL_ERR_BAD_JSON,
	CONTROL_ERR_BAD_VERSION,
	CONTROL_ERR_UNKNOWN_COMMAND,
	CONTROL_ERR_BAD_ARGS,
	CONTROL_ERR_PERMISSION_DENIED,
	CONTROL_ERR_NOT_FOUND,
	CONTROL_ERR_EXISTS,
	CONTROL_ERR_IN_USE,
	CONTROL_ERR_INVALID,
	CONTROL_ERR_UNSUPPORTED,
	CONTROL_ERR_BUSY,
	CONTROL_ERR_IO,
	CONTROL_ERR_INTERNAL,
	CONTROL_ERR_UNAVAILABLE, /* the shared store (etcd) cannot be reached */
	CONTROL_ERR_CONFLICT,    /* the shared state changed concurrently */
	_CONTROL_ERR_MAX,
};

/* "bad-frame", "not-found", ...; NULL for an out-of-range value. */
const char *control_error_to_string(enum control_error e);
/* The code for a string, or -EINVAL for an unknown one. */
int control_error_from_string(const char *s);

/* ---- Frames ---- */

/* Encode the 4-byte header of a frame of 'len' bytes. */
void control_frame_header(uint32_t len, uint8_t ret[CONTROL_HEADER_LEN]);

/*
 * The payload length announced by the header at the start of 'buf'.
 * -ENOBUFS: fewer than 4 bytes yet; -EBADMSG: 0 or above CONTROL_MAX_FRAME.
 */
int control_frame_length(const void *buf, size_t len, size_t *ret_len);

/*
 * Incremental decoder: is a whole frame at the start of 'buf'?  0 with
 * *ret_offset = 4 and *ret_len = N when all 4 + N bytes are there;
 * -ENOBUFS when more bytes are needed; -EBADMSG for a bad length.
 */
int control_frame_decode(const void *buf, size_t len, size_t *ret_offset, size_t *ret_len);

/*
 * True if 'buf' is well-formed UTF-8 without NUL bytes (no overlongs,
 * surrogates or code points above U+10FFFF).
 */
bool control_utf8_valid(const void *buf, size_t len);

/* ---- Requests ---- */

struct control_status {
	enum control_error code;
	char message[CONTROL_MESSAGE_MAX];
};

struct control_request {
	const struct control_command *command; /* its entry in control_commands[] */
	cJSON *args; /* owned; an empty object when the request had none */
};

/*
 * Parse and validate one frame payload as a request: a UTF-8 JSON object
 * nested at most CONTROL_MAX_DEPTH deep, "version" == CONTROL_PROTOCOL_VERSION
 * (else bad-version), "command" a known name (else unknown-command), "args"
 * absent or an object whose keys and values suit the command (else
 * bad-args; see control_args_validate()).  Other top-level keys are bad-json.
 *
 * 0 and *ret on success (release with control_request_done()).  -EBADMSG
 * with *ret_error filled for a bad request; -ENOMEM.
 */
int control_request_parse(
    const void *buf, size_t len, struct control_request *ret, struct control_status *ret_error);
void control_request_done(struct control_request *r);

/*
 * Check the args object of a command against the schema of its entry
 * (cmd->args, lib/control-commands.c): every key known to the command and
 * present once, every required key present, each value of its type:
 *   NAME           a name (name_valid(), lib/name.h); NAME_OR_NULL: or null
 *   MAC            canonical "52:54:00:12:34:56"
 *   SOURCE         {"type":"dir"|"iso"|"efi"|"whole-iso","path":"/abs","fds":3|1|1|1} or
 *                  {"type":"oci","ref":S}
 *   CMDLINE        string up to CONTROL_MAX_CMDLINE bytes, or null
 *   MODE           "append" or "replace"
 *   CONTENT        string up to CONTROL_MAX_CONFIG bytes
 *   BOOL           true or false
 *   INT            an integer, |n| <= CONTROL_MAX_PRIORITY
 *   LABELS         {"key": "value", ...}: at most CONTROL_MAX_LABELS, keys of
 *                  1 and values of 0 to CONTROL_MAX_LABEL bytes, no key twice
 *   KEYS           ["key", ...]: as many, as long, no key twice
 *   MATCH          {"mac","uuid","arch","interface": string of 1 to
 *                  CONTROL_MAX_SELECTOR bytes or null, "labels": LABELS},
 *                  each optional and once, nothing else
 *   PATH           string of 1 to CONTROL_MAX_PATH bytes, no control characters
 *   WORD           string of 1 to CONTROL_WORD_MAX printable bytes, no spaces
 *   TIME           integer milliseconds since the epoch, 0 to 2^53
 *   TEXT           string (the frame bounds it)
 *   FILES          {PATH: string up to CONTROL_MAX_CONFIG bytes}, at most
 *                  CONTROL_MAX_FILES, no path twice
 * What the values mean (a label key's characters, a MAC glob, an arch name)
 * the daemon checks.
 * 0, or -EBADMSG with *ret_error = bad-args and a message naming the key
 * (unknown-command for a NULL cmd).
 */
int control_args_validate(
    const struct control_command *cmd, const cJSON *args, struct control_status *ret_error);

/*
 * How many open files (SCM_RIGHTS) an add-image source carries: 3 for a
 * directory (kernel, initrd, rootfs.squashfs, in that order), 1 for an ISO,
 * 0 otherwise.  The daemon never opens a client's paths itself: the client
 * opens them with its own permissions and passes the descriptors.
 */
int control_source_fds(const cJSON *source);

/* Fill *err with a stable code and a message; returns -EBADMSG. */
int control_fail(struct control_status *err, enum control_error code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The string member 'key' of 'obj', or NULL if absent or not a string. */
const char *control_json_string(const cJSON *obj, const char *key);

/*
 * Canonicalise a MAC given with ':' or '-' in any case to lower-case colon
 * form.  0 or -EINVAL.
 */
int control_mac_canonical(const char *s, char ret[MAC_STRLEN]);

enum control_cmdline_mode {
	CONTROL_CMDLINE_APPEND,
	CONTROL_CMDLINE_REPLACE,
};

/* "append" / "replace". */
const char *control_cmdline_mode_to_string(enum control_cmdline_mode m);
int control_cmdline_mode_from_string(const char *s, enum control_cmdline_mode *ret);

/* ---- Builders: a whole frame (header + JSON) in malloc'd *ret ---- */

/*
 * Each returns 0 and stores the frame in *ret / *ret_len; -EMSGSIZE when
 * the JSON exceeds CONTROL_MAX_FRAME; -EINVAL for bad parameters; -ENOMEM.
 * JSON values passed in are only borrowed.  'args' and 'data' may be NULL
 * (no "args"; "data": null).
 */
int control_request_build(const char *command, const cJSON *args, uint8_t **ret, size_t *ret_len);
int control_reply_ok_build(const cJSON *data, uint8_t **ret, size_t *ret_len);
int control_reply_error_build(
    enum control_error code, const char *message, uint8_t **ret, size_t *ret_len);
int control_event_build(const char *event, const cJSON *data, uint8_t **ret, size_t *ret_len);

/* ---- Replies and events, as the client sees them ---- */

enum control_message_kind {
	CONTROL_MSG_OK,
	CONTROL_MSG_ERROR,
	CONTROL_MSG_EVENT,
};

struct control_message {
	enum control_message_kind kind;
	cJSON *root;        /* owned */
	const cJSON *data;  /* OK: data (never NULL: a null item when absent); EVENT: data */
	const char *event;  /* EVENT: its name */
	const char *code;   /* ERROR: the code string as sent */
	const char *text;   /* ERROR: the message */
	const cJSON *error; /* ERROR: the error object */
};

/*
 * Parse one frame payload from the daemon: a final reply or an event.
 * 0 and *ret (release with control_message_done()); -EBADMSG when it is not
 * valid UTF-8 JSON of one of the three shapes; -ENOMEM.
 */
int control_message_parse(const void *buf, size_t len, struct control_message *ret);
void control_message_done(struct control_message *m);

#endif
