/*
 * Logging.  Under systemd (JOURNAL_STREAM names our stderr) messages go to the
 * journal with structured fields; otherwise readable lines go to stderr.
 *
 * Messages read like sentences; the facts go in fields as well:
 *   log_info("NETBOOT_MAC=52:54:00:12:34:56", "Offered %s to %s", file, mac);
 * The first argument is NULL or a string of newline-separated FIELD=value
 * pairs (at most 8), each sent to the journal as its own field.
 * Warnings that are survived end in ", ignoring".
 */
#ifndef NETBOOTD_LOG_H
#define NETBOOTD_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

/* Messages logged since start-up (any thread), for /metrics. */
struct log_counts {
	uint64_t errors;   /* LOG_ERR and worse */
	uint64_t warnings; /* LOG_WARNING */
};

void log_init(bool debug);
/* In the background, away from the terminal: log through syslog(3). */
void log_use_syslog(void);
bool log_debug_enabled(void);
void log_get_counts(struct log_counts *ret);
void log_msg(int prio, const char *fields, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(fields, ...)                                                                     \
	do {                                                                                       \
		if (log_debug_enabled())                                                           \
			log_msg(LOG_DEBUG, fields, __VA_ARGS__);                                   \
	} while (0)
#define log_info(fields, ...)   log_msg(LOG_INFO, fields, __VA_ARGS__)
#define log_notice(fields, ...) log_msg(LOG_NOTICE, fields, __VA_ARGS__)
#define log_warn(fields, ...)   log_msg(LOG_WARNING, fields, __VA_ARGS__)
#define log_err(fields, ...)    log_msg(LOG_ERR, fields, __VA_ARGS__)

#endif
