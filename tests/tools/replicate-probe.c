/*
 * Drive replicate_start() (daemon/replicate.h) outside the daemon, for
 * tests/integration/test-blobs.sh and bench/bench-replicate.sh:
 *
 *   replicate-probe [-q] [-c BYTES] STATE_DIR MANIFEST_JSON SOURCE...
 *
 * opens the store in STATE_DIR (created if missing), replicates the image
 * whose record is the manifest.json file MANIFEST_JSON from the SOURCEs and
 * prints one line per progress report ("progress FILE DONE TOTAL", unless
 * -q), then "ok NAME" (exit 0) or "error CODE MESSAGE" (exit 1).  -c
 * cancels once BYTES bytes of a file were reported.  Exit 2: bad usage or
 * replicate_start() refused (its error printed).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "curl-dl.h"
#include "fsutil.h"
#include "log.h"
#include "replicate.h"
#include "server.h"
#include "store.h"
#include "util.h"

struct probe {
	struct server srv;
	struct replicate *rp;
	bool quiet;
	uint64_t cancel_after; /* 0: never */
	int rc;
};

static void
on_progress(const char *file, uint64_t done, uint64_t total, void *userdata)
{
	struct probe *p = userdata;

	if (!p->quiet)
		printf("progress %s %" PRIu64 " %" PRIu64 "\n", file, done, total);
	if (p->cancel_after > 0 && done >= p->cancel_after) {
		printf("cancelling\n");
		replicate_cancel(p->rp);
	}
	fflush(stdout);
}

static void
on_done(int r, const char *error, const struct manifest *m, void *userdata)
{
	struct probe *p = userdata;

	if (r == 0) {
		printf("ok %s\n", m->name);
		for (size_t f = 0; f < MANIFEST_N_FILES; f++)
			printf("file %s %" PRIu64 " %s\n", manifest_file_names[f], m->files[f].size,
			    m->files[f].sha256);
	} else {
		printf("error %d %s\n", r, error ? error : strerror(-r));
	}
	replicate_cancel(p->rp); /* from done(): does nothing */
	fflush(stdout);
	p->rc = r == 0 ? 0 : 1;
	event_base_loopbreak(p->srv.base);
}

static int
load_record(const char *file, struct manifest **ret)
{
	_cleanup_free_ char *text = NULL, *error = NULL;
	size_t len;
	int r = fs_read_file_at(AT_FDCWD, file, MANIFEST_MAX_SIZE, &text, &len);

	if (r < 0) {
		fprintf(stderr, "cannot read %s: %s\n", file, strerror(-r));
		return r;
	}
	if ((r = manifest_parse(text, len, ret, &error)) < 0)
		fprintf(stderr, "bad manifest %s: %s\n", file, error ? error : strerror(-r));
	return r;
}

static int
probe_run(struct probe *p, const char *state, const char *record, char **sources, size_t n)
{
	struct manifest *m = NULL;
	char *error = NULL;
	int r;

	if ((r = load_record(record, &m)) < 0)
		return 2;
	if ((p->srv.base = event_base_new()) == NULL ||
	    (r = store_open(state, &p->srv.store, &error)) < 0) {
		fprintf(stderr, "cannot open the store %s: %s\n", state, error ? error : "");
		free(error);
		manifest_free(m);
		return 2;
	}
	struct replicate_params rpp = {
	    .m = m, .sources = (const char *const *)sources, .n_sources = n};
	r = replicate_start(&p->srv, &rpp, on_progress, on_done, p, &p->rp);
	manifest_free(m); /* copied */
	if (r < 0) {
		printf("start failed %d %s\n", r, strerror(-r));
		return 2;
	}
	event_base_dispatch(p->srv.base);
	return p->rc;
}

int
main(int argc, char **argv)
{
	struct probe p = {.rc = 1};
	int opt, rc;

	while ((opt = getopt(argc, argv, "qc:m:")) != -1) {
		if (opt == 'q')
			p.quiet = true;
		else if (opt == 'c')
			p.cancel_after = strtoull(optarg, NULL, 10);
		else if (opt == 'm' && (p.srv.cfg != NULL || (p.srv.cfg = config_new()) != NULL))
			p.srv.cfg->images.max_size =
			    strtoull(optarg, NULL, 10); /* images.max_size */
		else
			return 2;
	}
	if (argc - optind < 3) {
		fprintf(stderr,
		    "usage: %s [-q] [-c BYTES] [-m MAX_SIZE] STATE_DIR MANIFEST_JSON SOURCE...\n",
		    argv[0]);
		return 2;
	}
	log_init(getenv("PROBE_DEBUG") != NULL);
	rc = probe_run(
	    &p, argv[optind], argv[optind + 1], argv + optind + 2, (size_t)(argc - optind - 2));
	replicate_shutdown(&p.srv);
	store_free(p.srv.store);
	if (p.srv.base != NULL)
		event_base_free(p.srv.base);
	curl_dl_close(); /* replicate_start() opened it */
	config_free(p.srv.cfg);
	return rc;
}
