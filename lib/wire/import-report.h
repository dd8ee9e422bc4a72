/*
 * What the import child (netbootd-import, daemon/import-child.c) tells the
 * daemon on its standard output: one JSON object per line.
 *
 *   {"phase":"copy","file":"kernel","done":1024,"total":4096}   progress
 *   {"ok":true,"manifest_digest":"sha256:<64 hex>"}              the end (digest: OCI only)
 *   {"ok":false,"errno":22,"error":"<sentence>"}                 the end, a failure
 *
 * The daemon reads these from a process that parsed attacker-controlled
 * bytes, so the parser trusts nothing: a line is at most
 * IMPORT_REPORT_MAX_LINE bytes, every field is checked (names short and
 * printable, errno in 1..4095, the digest's form), and a message's control
 * characters become spaces.  A bad line is -EBADMSG; the daemon then stops
 * the child and fails the import.
 */
#ifndef NETBOOTD_IMPORT_REPORT_H
#define NETBOOTD_IMPORT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMPORT_REPORT_MAX_LINE    8192
#define IMPORT_REPORT_MAX_MESSAGE 2048
#define IMPORT_REPORT_MAX_NAME    64 /* a phase or a file: bytes with the NUL */
#define IMPORT_REPORT_DIGEST      72 /* "sha256:" + 64 hex + NUL */

/*
 * The child's command line: at most IMPORT_MAX_INSECURE --insecure hosts
 * (registry.insecure's cap) and IMPORT_MAX_ARGS arguments in all.
 */
#define IMPORT_MAX_INSECURE 64
#define IMPORT_MAX_ARGS     (2 * IMPORT_MAX_INSECURE + 32)

enum import_report_type {
	IMPORT_REPORT_PROGRESS,
	IMPORT_REPORT_OK,
	IMPORT_REPORT_ERROR,
};

struct import_report {
	enum import_report_type type;
	char phase[IMPORT_REPORT_MAX_NAME];
	char file[IMPORT_REPORT_MAX_NAME];
	uint64_t done, total;
	char manifest_digest[IMPORT_REPORT_DIGEST]; /* "" when none */
	int error;                                  /* IMPORT_REPORT_ERROR: -errno */
	char message[IMPORT_REPORT_MAX_MESSAGE];    /* IMPORT_REPORT_ERROR */
};

/*
 * One line (without its '\n'; n bytes, no NUL needed).  0, or -EBADMSG
 * (malformed, or a field out of bounds), -E2BIG (longer than the cap),
 * -ENOMEM.  *ret is written only on success.
 */
int import_report_parse(const char *line, size_t n, struct import_report *ret);

/*
 * The line for 'r', '\n'-terminated, into buf (size bytes): its length,
 * or -ENOBUFS.  Long messages are cut to fit the caps.
 */
int import_report_format(const struct import_report *r, char *buf, size_t size);

#endif
