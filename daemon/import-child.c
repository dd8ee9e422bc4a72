/*
 * netbootd-import: the process in which the daemon parses an ISO or an OCI
 * image (libarchive, libsquashfs, libcurl), so that a hostile archive meets
 * a confined process (sandbox.h) and not the daemon.  The daemon (import.c)
 * starts it for one import:
 *
 *   netbootd-import iso LABEL [options]   fd 3: the ISO, read-only
 *   netbootd-import oci REF --cache DIR [options]
 *
 * with fds 4, 5, 6 open on the store transaction's empty kernel, initrd and
 * rootfs.squashfs, and fd 1 the report pipe (lib/wire/import-report.h).  It
 * writes those three descriptors and nothing else; the daemon checks what
 * it wrote (store_txn_commit) and removes it on any failure.  Exit status 0
 * after an "ok" report, 1 after an error report.
 *
 * NETBOOTD_IMPORT_TEST (for the test suite): "crash" dies of SIGSEGV at
 * the first progress once locked down (the ISO's or the squashfs' first
 * bytes); "syscall" tries to open a file (which must
 * fail) and then to execute a program (which the filter punishes with
 * SIGSYS); "pause" waits 3 s once locked down, for a test to look at it.
 *
 * SIGTERM cancels: the import stops at its next check and removes what it
 * started (a blob's .partial in the cache); the daemon kills it after
 * IMPORT_PROC_GRACE_MS otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "clock.h"
#include "error.h"
#include "import-report.h"
#include "io.h"
#include "iso-extract.h"
#include "oci-pull.h"
#include "sandbox.h"
#include "util.h"

#define IN_FD         3
#define OUT_FD        4   /* kernel; initrd and rootfs.squashfs follow */
#define REPORT_PERIOD 100 /* ms between progress reports of one file */

/* SIGTERM from the daemon: stop at the next check, cleaning up (the blob cache's .partial). */
static atomic_bool cancelled;

static void
on_sigterm(int sig)
{
	atomic_store(&cancelled, true);
}

struct child {
	bool oci;
	const char *what; /* the ISO's label or the reference */
	const char *cache, *platform, *auth_file, *compression, *kernel, *initrd;
	const char *insecure[IMPORT_MAX_INSECURE + 1];
	size_t n_insecure;
	uint64_t max_size;
	struct sandbox_limits limits;
	const char *test; /* NETBOOTD_IMPORT_TEST */
	bool locked;      /* sandbox_lockdown() done */
	int64_t last_report;
};

static void
report(const struct import_report *r)
{
	char line[IMPORT_REPORT_MAX_LINE + 2];
	int n = import_report_format(r, line, sizeof(line));

	if (n > 0)
		(void)io_write_all(STDOUT_FILENO, line, (size_t)n);
}

static void
on_progress(const char *phase, const char *file, uint64_t done, uint64_t total, void *userdata)
{
	struct child *c = userdata;
	struct import_report r = {.type = IMPORT_REPORT_PROGRESS, .done = done, .total = total};
	int64_t now = clock_ms(CLOCK_MONOTONIC);

	if (c->locked && done > 0 && c->test != NULL && strcmp(c->test, "crash") == 0)
		raise(SIGSEGV);
	if (done != total && now - c->last_report < REPORT_PERIOD)
		return;
	c->last_report = now;
	snprintf(r.phase, sizeof(r.phase), "%s", phase);
	snprintf(r.file, sizeof(r.file), "%s", file);
	report(&r);
}

static void
on_copy(const char *file, uint64_t done, uint64_t total, void *userdata)
{
	on_progress("copy", file, done, total, userdata);
}

/* The test hooks that run once the process is locked down. */
static int
test_hook(const struct child *c, char **ret_error)
{
	struct timespec pause = {3, 0};

	if (c->test == NULL)
		return 0;
	if (strcmp(c->test, "pause") == 0)
		while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
			;
	if (strcmp(c->test, "syscall") == 0) {
		char *const argv[] = {(char *)"true", NULL};
		FILE *f = fopen("/etc/passwd", "r");

		if (f != NULL)
			return error_set(
			    ret_error, -EPERM, "The sandbox let the import open a file");
		syscall(SYS_execve, "/bin/true", argv, argv + 1);
		return error_set(ret_error, -EPERM, "The sandbox let the import execute a program");
	}
	return 0;
}

static int
lockdown(struct child *c, char **ret_error)
{
	static const int out[] = {OUT_FD, OUT_FD + 1, OUT_FD + 2};
	int r = sandbox_lockdown(out, 3, ret_error);

	c->locked = r == 0;
	return r < 0 ? r : test_hook(c, ret_error);
}

static int
run_iso(struct child *c, char **ret_error)
{
	struct iso_extract_params p = {.out_fd = {OUT_FD, OUT_FD + 1, OUT_FD + 2},
	    .force = true,
	    .max_size = c->max_size,
	    .progress = on_copy,
	    .userdata = c,
	    .cancel = &cancelled};
	int r;

	if ((r = lockdown(c, ret_error)) < 0)
		return r;
	return iso_extract_fd(IN_FD, c->what, &p, NULL, ret_error);
}

static int
before_build(const int *fds, size_t n, void *userdata, char **ret_error)
{
	return lockdown(userdata, ret_error);
}

static int
run_oci(struct child *c, struct import_report *ret, char **ret_error)
{
	struct registry_opts ro = {.auth_file = c->auth_file, .insecure = c->insecure};
	struct oci_build_opts bo = {.compressor = c->compression,
	    .kernel = c->kernel,
	    .initrd = c->initrd,
	    .max_size = c->max_size};
	struct oci_pull_params pp = {.registry = &ro,
	    .ref = c->what,
	    .platform = c->platform,
	    .cache_dir = c->cache,
	    .build = &bo,
	    .out_kernel = OUT_FD,
	    .out_initrd = OUT_FD + 1,
	    .out_squashfs = OUT_FD + 2,
	    .before_build = before_build,
	    .progress = on_progress,
	    .userdata = c,
	    .cancel = &cancelled};
	struct oci_image *img = NULL;
	int r;

	if (c->cache == NULL)
		return error_set(ret_error, -EINVAL, "netbootd-import oci needs --cache");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return error_set(ret_error, -ENOMEM, "Cannot initialise libcurl");
	if ((r = oci_pull_build(&pp, &img, ret_error)) < 0)
		return r;
	snprintf(ret->manifest_digest, sizeof(ret->manifest_digest), "%s", img->manifest_digest);
	oci_image_free(img);
	return 0;
}

static int
size_arg(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

static int
option_set(struct child *c, int opt, const char *arg)
{
	uint64_t v = 0;

	switch (opt) {
	case 'c':
		c->cache = arg;
		return 0;
	case 'p':
		c->platform = arg;
		return 0;
	case 'a':
		c->auth_file = arg;
		return 0;
	case 'z':
		c->compression = arg;
		return 0;
	case 'k':
		c->kernel = arg;
		return 0;
	case 'i':
		c->initrd = arg;
		return 0;
	case 'I':
		if (c->n_insecure == IMPORT_MAX_INSECURE)
			return -E2BIG;
		c->insecure[c->n_insecure++] = arg;
		return 0;
	case 's':
		return size_arg(arg, &c->max_size);
	case 'm':
		return size_arg(arg, &c->limits.memory);
	case 't':
		if (size_arg(arg, &v) < 0 || v > 1000000)
			return -EINVAL;
		c->limits.cpu_seconds = (unsigned)v;
		return 0;
	default:
		return -EINVAL;
	}
}

static int
args_parse(int argc, char **argv, struct child *c)
{
	static const struct option opts[] = {{"cache", required_argument, NULL, 'c'},
	    {"platform", required_argument, NULL, 'p'}, {"auth-file", required_argument, NULL, 'a'},
	    {"compression", required_argument, NULL, 'z'}, {"kernel", required_argument, NULL, 'k'},
	    {"initrd", required_argument, NULL, 'i'}, {"insecure", required_argument, NULL, 'I'},
	    {"max-size", required_argument, NULL, 's'}, {"memory", required_argument, NULL, 'm'},
	    {"cpu", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (option_set(c, opt, optarg) < 0)
			return -EINVAL;
	if (argc - optind != 2 ||
	    (strcmp(argv[optind], "iso") != 0 && strcmp(argv[optind], "oci") != 0))
		return -EINVAL;
	c->oci = strcmp(argv[optind], "oci") == 0;
	c->what = argv[optind + 1];
	return 0;
}

int
main(int argc, char **argv)
{
	struct child c = {.test = getenv("NETBOOTD_IMPORT_TEST")};
	struct import_report end = {.type = IMPORT_REPORT_OK};
	struct sigaction sa = {.sa_handler = on_sigterm};
	_cleanup_free_ char *error = NULL;
	int r;

	sigaction(SIGTERM, &sa, NULL);

	if (args_parse(argc, argv, &c) < 0) {
		fprintf(stderr, "usage: netbootd-import iso LABEL | oci REF --cache DIR [options]\n"
		                "(started by netbootd for one import; see netbootd(8))\n");
		return 2;
	}
	r = sandbox_early(&c.limits, &error);
	if (r == 0)
		r = c.oci ? run_oci(&c, &end, &error) : run_iso(&c, &error);
	if (r < 0) {
		end = (struct import_report){.type = IMPORT_REPORT_ERROR, .error = r};
		snprintf(
		    end.message, sizeof(end.message), "%s", error != NULL ? error : strerror(-r));
	}
	report(&end);
	return r < 0 ? 1 : 0;
}
