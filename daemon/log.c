#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#define LOG_MAX_FIELDS 8

static bool log_debug_on;
static bool log_to_journal;
static bool log_to_syslog;
static uint64_t log_errors, log_warnings; /* __atomic: workers log too */

/* True when stderr is the journal stream systemd gave us. */
static bool
stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long dev, ino;
	struct stat st;

	if (e == NULL || sscanf(e, "%lu:%lu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void
log_init(bool debug)
{
	log_debug_on = debug;
	log_to_journal = stderr_is_journal();
}

void
log_use_syslog(void)
{
	if (log_to_journal)
		return;
	openlog("netbootd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_to_syslog = true;
}

bool
log_debug_enabled(void)
{
	return log_debug_on;
}

void
log_get_counts(struct log_counts *ret)
{
	ret->errors = __atomic_load_n(&log_errors, __ATOMIC_RELAXED);
	ret->warnings = __atomic_load_n(&log_warnings, __ATOMIC_RELAXED);
}

static void
log_journal(int prio, const char *fields, const char *msg)
{
	struct iovec iov[LOG_MAX_FIELDS + 3];
	char prio_field[16], *msg_field = NULL, *copy = NULL;
	size_t n = 0;

	snprintf(prio_field, sizeof(prio_field), "PRIORITY=%d", prio);
	if (asprintf(&msg_field, "MESSAGE=%s", msg) < 0)
		return;
	iov[n++] = (struct iovec){prio_field, strlen(prio_field)};
	iov[n++] = (struct iovec){msg_field, strlen(msg_field)};
	iov[n++] = (struct iovec){(char *)"SYSLOG_IDENTIFIER=netbootd", 26};
	if (fields != NULL && (copy = strdup(fields)) != NULL) {
		char *save = NULL, *f;

		for (f = strtok_r(copy, "\n", &save); f != NULL && n < sizeof(iov) / sizeof(iov[0]);
		     f = strtok_r(NULL, "\n", &save))
			iov[n++] = (struct iovec){f, strlen(f)};
	}
	sd_journal_sendv(iov, (int)n);
	free(copy);
	free(msg_field);
}

void
log_msg(int prio, const char *fields, const char *fmt, ...)
{
	static const char *const names[] = {
	    "emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"};
	char msg[2048];
	va_list ap;

	if (prio == LOG_DEBUG && !log_debug_on)
		return;
	if (prio <= LOG_ERR)
		__atomic_fetch_add(&log_errors, 1, __ATOMIC_RELAXED);
	else if (prio == LOG_WARNING)
		__atomic_fetch_add(&log_warnings, 1, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (log_to_journal) {
		log_journal(prio, fields, msg);
		return;
	}
	if (log_to_syslog) {
		syslog(prio, "%s", msg);
		return;
	}
	if (prio <= LOG_WARNING || prio == LOG_DEBUG)
		fprintf(stderr, "netbootd: %s: %s\n", names[prio & 7], msg);
	else
		fprintf(stderr, "netbootd: %s\n", msg);
}
