/*
 * Replication of an image by digest on a worker thread (see replicate.h).
 */
#include "replicate.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "curl-dl.h"
#include "error.h"
#include "io.h"
#include "log.h"
#include "sha256.h"
#include "store.h"
#include "util.h"
#include "worker.h"

#define COPY_CHUNK    (1024 * 1024)
#define ERRORS_MAX    1024 /* bytes of the per-source reasons in a message */
#define REDIRECTS_MAX 5
#define RECV_BUFFER   (512 * 1024) /* bytes per write callback: fewer pwrite(2)s than 16 KiB */

struct replicate {
	struct replicate *prev, *next; /* srv->replicates: loop thread only */
	struct server *srv;
	struct store_txn *txn;
	struct worker *worker; /* loop thread */
	struct worker *self;   /* the same, for the worker thread (set by it) */
	replicate_progress_fn progress;
	replicate_done_fn done;
	void *userdata;
	atomic_bool cancel;
	bool finishing;                     /* loop: done() is running */
	char fields[MANIFEST_MAX_NAME + 8]; /* "IMAGE=<name>" for the log */

	/* parameters: read by the worker */
	struct manifest *m; /* the record */
	char **sources;
	size_t n_sources;
	int local[MANIFEST_N_IDS]; /* a committed file with the right digest, or -1 */

	/* set by the worker before it returns */
	bool bad_commit;          /* the committed image is not the record's: remove it */
	uint64_t fetched, copied; /* bytes that came over the network / from the store */
};

/* One file being written into the txn: what every transfer of it shares. */
struct fetch {
	struct replicate *rp;
	enum manifest_file f;
	int fd;
	uint64_t size; /* the record's: the cap */
	struct sha256 ctx;
	uint64_t done; /* bytes written and hashed */
	/* this transfer */
	uint64_t start;                   /* the offset asked for */
	long status;                      /* of the current response */
	int64_t range_start, range_total; /* its Content-Range, -1 if none */
	bool body;                        /* its body has begun */
	bool too_big, bad_range;
	int werr; /* -errno of a local write */
};

static const char *
file_name(const struct fetch *x)
{
	return manifest_file_names[x->f];
}

/* ---- URLs ---- */

/* A template holds "{sha256}" or "{file}"; anything else is a peer's base URL. */
static bool
source_is_template(const char *s)
{
	return strstr(s, "{sha256}") != NULL || strstr(s, "{file}") != NULL;
}

/* The URL of file f (digest 'hex') at source 's'; -E2BIG, -ENOMEM. */
static int
replicate_url(const char *s, const char *hex, enum manifest_file f, char **ret)
{
	_cleanup_free_ char *url = malloc(REPLICATE_MAX_URL + 1);
	size_t blen = strlen(s);

	if (url == NULL)
		return -ENOMEM;
	if (!source_is_template(s)) {
		while (blen > 0 && s[blen - 1] == '/')
			blen--;
		if (snprintf(url, REPLICATE_MAX_URL + 1, "%.*s/blobs/sha256:%s", (int)blen, s,
		        hex) > REPLICATE_MAX_URL)
			return -E2BIG;
		*ret = TAKE_PTR(url);
		return 0;
	}
	if (manifest_origin_expand(s, hex, f, url, REPLICATE_MAX_URL + 1) < 0)
		return -E2BIG;
	*ret = TAKE_PTR(url);
	return 0;
}

/* ---- one transfer: libcurl's callbacks (worker thread) ---- */

/* Header lines: the status of each response (redirects too) and its Content-Range. */
static size_t
on_header(char *line, size_t size, size_t n, void *userdata)
{
	struct fetch *x = userdata;
	size_t len = size * n;
	char buf[160];
	uint64_t a, b, t;

	snprintf(
	    buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) - 1 ? len : sizeof(buf) - 1), line);
	if (strncmp(buf, "HTTP/", 5) == 0) {
		const char *sp = strchr(buf, ' ');

		x->status = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
		x->range_start = x->range_total = -1;
	} else if (strncasecmp(buf, "Content-Range:", 14) == 0 &&
	           sscanf(buf + 14, " bytes %" SCNu64 "-%" SCNu64 "/%" SCNu64, &a, &b, &t) == 3) {
		x->range_start = (int64_t)a, x->range_total = (int64_t)t;
	}
	return len;
}

/* Start the file over (a source that ignored Range, or a new source). */
static int
fetch_restart(struct fetch *x)
{
	if (ftruncate(x->fd, 0) < 0)
		return -errno;
	sha256_init(&x->ctx);
	x->done = 0;
	return 0;
}

/* Append to the file at x->done (never past x->size) and hash. */
static int
fetch_write(struct fetch *x, const char *phase, const void *data, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t w =
		    pwrite(x->fd, (const char *)data + off, len - off, (off_t)(x->done + off));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		off += (size_t)w;
	}
	sha256_update(&x->ctx, data, len);
	x->done += len;
	if (x->done < x->size) /* done == size is reported once verified */
		worker_report(x->rp->self, phase, file_name(x), x->done, x->size);
	return 0;
}

/* The first bytes of a body: is it the part we asked for? */
static bool
fetch_body_begins(struct fetch *x)
{
	x->body = true;
	if (x->status == 206) {
		if (x->range_start != (int64_t)x->start || x->range_total != (int64_t)x->size)
			x->bad_range = true;
		return !x->bad_range;
	}
	if (x->start > 0 && (x->werr = fetch_restart(x)) < 0) /* 200: Range ignored */
		return false;
	x->start = 0;
	return true;
}

static size_t
on_body(char *data, size_t size, size_t n, void *userdata)
{
	struct fetch *x = userdata;
	size_t len = size * n;

	if (!x->body && !fetch_body_begins(x))
		return 0;
	if (len > x->size - x->done) {
		x->too_big = true;
		return 0;
	}
	if ((x->werr = fetch_write(x, "fetch", data, len)) < 0)
		return 0;
	return len;
}

static int
on_xferinfo(
    void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct fetch *x = userdata;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return atomic_load(&x->rp->cancel) ? 1 : 0;
}

static void
fetch_setopts(CURL *c, struct fetch *x)
{
	sym_curl_easy_reset(c);
	sym_curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	sym_curl_easy_setopt(c, CURLOPT_BUFFERSIZE, (long)RECV_BUFFER);
	sym_curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	sym_curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	sym_curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	sym_curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)REDIRECTS_MAX);
	sym_curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	sym_curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)REPLICATE_CONNECT_TIMEOUT);
	sym_curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	sym_curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)REPLICATE_STALL_TIMEOUT);
	sym_curl_easy_setopt(c, CURLOPT_USERAGENT, "netbootd/" NETBOOTD_VERSION);
	sym_curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	sym_curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	sym_curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	sym_curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	sym_curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
	sym_curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	sym_curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
}

/* ---- one file from one source (worker thread) ---- */

enum outcome {
	OUTCOME_DONE,   /* every byte arrived: check the digest */
	OUTCOME_RESUME, /* interrupted: try again from x->done */
	OUTCOME_BAD,    /* this source will not do: the next one */
	OUTCOME_FATAL,  /* stop the replication: x->werr or -ECANCELED */
};

/* What one transfer's result means; the reason in 'why' for OUTCOME_BAD/RESUME. */
static enum outcome
fetch_outcome(struct fetch *x, CURLcode res, const char *errbuf, char *why, size_t len)
{
	if (atomic_load(&x->rp->cancel))
		return OUTCOME_FATAL;
	if (x->werr < 0)
		return OUTCOME_FATAL;
	if (x->too_big) {
		snprintf(why, len, "sent more than the %" PRIu64 " bytes of the record", x->size);
		return OUTCOME_BAD;
	}
	if (x->bad_range) {
		snprintf(why, len,
		    "answered bytes=%" PRIu64 "- with Content-Range %" PRId64 "-/%" PRId64,
		    x->start, x->range_start, x->range_total);
		return OUTCOME_BAD;
	}
	if (res == CURLE_HTTP_RETURNED_ERROR) {
		snprintf(why, len, "HTTP %ld", x->status);
		return OUTCOME_BAD;
	}
	if (res == CURLE_OK && x->done == x->size)
		return OUTCOME_DONE;
	snprintf(why, len, "%s",
	    res == CURLE_OK ? "the body ended early"
	    : errbuf[0]     ? errbuf
	                    : sym_curl_easy_strerror(res));
	if (x->done > 0) {
		size_t n = strlen(why);

		snprintf(
		    why + n, len - n, " after %" PRIu64 " of %" PRIu64 " bytes", x->done, x->size);
	}
	switch (res) {
	case CURLE_OK:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_OPERATION_TIMEDOUT:
		return OUTCOME_RESUME;
	default:
		return OUTCOME_BAD;
	}
}

/* One GET of 'url' from x->done on. */
static enum outcome
fetch_once(CURL *c, struct fetch *x, const char *url, char *why, size_t len)
{
	char errbuf[CURL_ERROR_SIZE] = "", range[32];
	CURLcode res;

	fetch_setopts(c, x);
	sym_curl_easy_setopt(c, CURLOPT_URL, url);
	sym_curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (x->done > 0) {
		snprintf(range, sizeof(range), "%" PRIu64 "-", x->done);
		sym_curl_easy_setopt(c, CURLOPT_RANGE, range);
	}
	x->start = x->done, x->status = 0, x->range_start = x->range_total = -1;
	x->body = x->too_big = x->bad_range = false;
	res = sym_curl_easy_perform(c);
	return fetch_outcome(x, res, errbuf, why, len);
}

/* Whether the bytes hashed so far are the record's. */
static bool
fetch_verify(struct fetch *x)
{
	char hex[MANIFEST_SHA256_HEX + 1];

	sha256_final_hex(&x->ctx, hex);
	return strcmp(hex, x->rp->m->files[x->f].sha256) == 0;
}

/*
 * The file from source 's', from 0, resuming up to REPLICATE_ATTEMPTS
 * transfers.  0 (verified), 1 (the source will not do: the reason in
 * 'why'), or -errno (stop).
 */
static int
fetch_from(CURL *c, struct fetch *x, const char *s, char *why, size_t len)
{
	const char *hex = x->rp->m->files[x->f].sha256;
	_cleanup_free_ char *url = NULL;
	enum outcome o = OUTCOME_RESUME;
	int r;

	if ((r = replicate_url(s, hex, x->f, &url)) == -E2BIG) {
		snprintf(why, len, "the URL would be longer than %d bytes", REPLICATE_MAX_URL);
		return 1;
	}
	if (r < 0 || (r = fetch_restart(x)) < 0)
		return r;
	for (unsigned i = 0; i < REPLICATE_ATTEMPTS && o == OUTCOME_RESUME; i++) {
		if (i > 0)
			log_info(x->rp->fields,
			    "Resuming %s of image \"%s\" from %s at byte %" PRIu64, file_name(x),
			    x->rp->m->name, url, x->done);
		o = fetch_once(c, x, url, why, len);
	}
	if (o == OUTCOME_FATAL)
		return x->werr < 0 ? x->werr : -ECANCELED;
	if (o != OUTCOME_DONE) /* bad, or attempts used up: 'why' says the last failure */
		return 1;
	if (!fetch_verify(x)) {
		snprintf(
		    why, len, "sent %" PRIu64 " bytes whose sha256 is not the record's", x->size);
		return 1;
	}
	x->rp->fetched += x->size;
	return 0;
}

/* ---- one file (worker thread) ---- */

/* Copy the store's file with the same digest; 0, 1 (not usable), -errno (stop). */
static int
fetch_local(struct fetch *x, int in)
{
	_cleanup_free_ unsigned char *buf = malloc(COPY_CHUNK);
	int r;

	if (buf == NULL)
		return -ENOMEM;
	if ((r = fetch_restart(x)) < 0)
		return r;
	while (x->done < x->size) {
		size_t want = x->size - x->done < COPY_CHUNK ? x->size - x->done : COPY_CHUNK;
		ssize_t n = pread(in, buf, want, (off_t)x->done);

		if (atomic_load(&x->rp->cancel))
			return -ECANCELED;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 1; /* shorter than it should be: fetch it instead */
		if ((r = fetch_write(x, "copy", buf, (size_t)n)) < 0)
			return r;
	}
	if (!fetch_verify(x))
		return 1;
	x->rp->copied += x->size;
	return 0;
}

/* Append "<source>: <why>" to the reasons. */
static void
errors_add(char *errors, const char *s, const char *why)
{
	size_t n = strlen(errors);

	if (n + 4 < ERRORS_MAX)
		snprintf(errors + n, ERRORS_MAX - n, "%s%s: %s", n > 0 ? "; " : "", s, why);
}

/* Try the local copy, then every source in turn. */
static int
fetch_file_sources(CURL *c, struct fetch *x, char **ret_error)
{
	struct replicate *rp = x->rp;
	char errors[ERRORS_MAX] = "", why[256];
	int r = 1;

	if (rp->local[x->f] >= 0 && (r = fetch_local(x, rp->local[x->f])) <= 0)
		return r;
	for (size_t i = 0; i < rp->n_sources; i++) {
		why[0] = '\0';
		if ((r = fetch_from(c, x, rp->sources[i], why, sizeof(why))) <= 0)
			return r < 0
			           ? error_set(ret_error, r, "Cannot write %s of image \"%s\": %s",
			                 file_name(x), rp->m->name, strerror(-r))
			           : 0;
		log_notice(x->rp->fields,
		    "Cannot fetch %s of image \"%s\" from %s: %s, trying the next source",
		    file_name(x), rp->m->name, rp->sources[i], why);
		errors_add(errors, rp->sources[i], why);
	}
	(void)fetch_restart(x);
	return error_set(ret_error, -EIO,
	    "No source delivered the %s (sha256:%.12s, %" PRIu64 " bytes) of image \"%s\": %s",
	    file_name(x), rp->m->files[x->f].sha256, x->size, rp->m->name, errors);
}

static int
fetch_file(struct replicate *rp, CURL *c, enum manifest_file f, char **ret_error)
{
	const char *path = store_txn_path(rp->txn, f);
	struct fetch x = {.rp = rp, .f = f, .size = rp->m->files[f].size};
	int r;

	x.fd = store_txn_create(rp->txn, f);
	if (x.fd < 0)
		return error_set(ret_error, x.fd, "Cannot create %s: %s", path, strerror(-x.fd));
	sha256_init(&x.ctx);
	r = fetch_file_sources(c, &x, ret_error);
	if (close(x.fd) < 0 && r == 0)
		r = error_set(ret_error, -errno, "Cannot write %s: %m", path);
	if (r == 0)
		worker_report(rp->self, "fetch", file_name(&x), x.size, x.size);
	return r;
}

/* ---- the job (worker thread) ---- */

static bool
manifest_same_files(const struct manifest *a, const struct manifest *b)
{
	if (a->kind != b->kind)
		return false;
	for (size_t f = manifest_kind_first(b->kind); f < manifest_kind_end(b->kind); f++)
		if (a->files[f].size != b->files[f].size || !a->files[f].has_sha256 ||
		    strcmp(a->files[f].sha256, b->files[f].sha256) != 0)
			return false;
	return true;
}

static int
replicate_commit(struct replicate *rp, struct manifest **ret, char **ret_error)
{
	struct manifest *got = NULL;
	int r;

	if (atomic_load(&rp->cancel))
		return -ECANCELED;
	r = store_txn_commit(
	    rp->txn, rp->m->source_type, rp->m->source, rp->m->cmdline, true, &got, ret_error);
	if (r < 0)
		return r;
	if (!manifest_same_files(got, rp->m)) {
		manifest_free(got);
		rp->bad_commit = true;
		return error_set(ret_error, -EBADMSG,
		    "The committed files of image \"%s\" differ from its record", rp->m->name);
	}
	*ret = got;
	return 0;
}

static int
replicate_thread(struct worker *w, void *userdata, struct manifest **ret, char **ret_error)
{
	struct replicate *rp = userdata;
	CURL *c = sym_curl_easy_init();
	int r = c != NULL ? 0 : -ENOMEM;

	rp->self = w;
	for (size_t f = manifest_kind_first(rp->m->kind);
	     f < manifest_kind_end(rp->m->kind) && r == 0; f++)
		r = fetch_file(rp, c, (enum manifest_file)f, ret_error);
	if (c != NULL)
		sym_curl_easy_cleanup(c);
	if (r == 0)
		r = replicate_commit(rp, ret, ret_error);
	if (r == -ECANCELED)
		(void)error_set(
		    ret_error, r, "The replication of image \"%s\" was cancelled", rp->m->name);
	store_txn_free(rp->txn); /* aborts an uncommitted one: removes its files */
	rp->txn = NULL;
	return r;
}

/* ---- loop side ---- */

static void
replicate_free(struct replicate *rp)
{
	worker_free(rp->worker); /* joins the thread */
	if (rp->prev != NULL)
		rp->prev->next = rp->next;
	else if (rp->srv->replicates == rp)
		rp->srv->replicates = rp->next;
	if (rp->next != NULL)
		rp->next->prev = rp->prev;
	store_txn_free(rp->txn);
	for (size_t f = 0; f < MANIFEST_N_IDS; f++)
		if (rp->local[f] >= 0)
			close(rp->local[f]);
	for (size_t i = 0; i < rp->n_sources; i++)
		free(rp->sources[i]);
	free(rp->sources);
	manifest_free(rp->m);
	free(rp);
}

static void
on_worker_progress(
    const char *phase, const char *file, uint64_t done, uint64_t total, void *userdata)
{
	struct replicate *rp = userdata;

	(void)phase;
	if (rp->progress != NULL && !atomic_load(&rp->cancel))
		rp->progress(file, done, total, rp->userdata);
}

static void
replicate_log(const struct replicate *rp, int r, const char *error)
{
	if (r == 0)
		log_info(rp->fields,
		    "Replicated image \"%s\": %" PRIu64 " bytes fetched, %" PRIu64
		    " copied from other images",
		    rp->m->name, rp->fetched, rp->copied);
	else
		log_warn(rp->fields, "Cannot replicate image \"%s\": %s", rp->m->name,
		    error != NULL ? error : strerror(-r));
}

static void
on_worker_finished(int r, const struct manifest *m, const char *error, void *userdata)
{
	struct replicate *rp = userdata;
	int k;

	if (rp->bad_commit && (k = store_image_remove(rp->srv->store, rp->m->name, true, NULL)) < 0)
		log_err(rp->fields, "Cannot remove the bad copy of image \"%s\": %s", rp->m->name,
		    strerror(-k));
	replicate_log(rp, r, error);
	rp->finishing = true;
	if (rp->done != NULL)
		rp->done(r, error, r == 0 ? m : NULL, rp->userdata);
	replicate_free(rp);
}

/* The record and the sources, checked and copied into rp. */
static int
replicate_setup(struct replicate *rp, const struct replicate_params *p)
{
	const struct manifest *m = p->m;

	if (m == NULL || !name_valid(m->name) || m->source_type == MANIFEST_SOURCE_LEGACY ||
	    m->source == NULL || p->n_sources == 0 || p->n_sources > REPLICATE_MAX_SOURCES)
		return -EINVAL;
	for (size_t f = manifest_kind_first(m->kind); f < manifest_kind_end(m->kind); f++)
		if (!m->files[f].has_sha256)
			return -EINVAL;
	for (size_t i = 0; i < p->n_sources; i++) {
		const char *s = p->sources[i];

		if (s == NULL ||
		    (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) ||
		    !manifest_string_valid(s, REPLICATE_MAX_URL))
			return -EINVAL;
	}
	if ((rp->m = manifest_dup(m)) == NULL ||
	    (rp->sources = calloc(p->n_sources, sizeof(char *))) == NULL)
		return -ENOMEM;
	snprintf(rp->fields, sizeof(rp->fields), "IMAGE=%s", m->name);
	for (; rp->n_sources < p->n_sources; rp->n_sources++)
		if ((rp->sources[rp->n_sources] = strdup(p->sources[rp->n_sources])) == NULL)
			return -ENOMEM;
	return 0;
}

/* The record's files against images.max_size, as for an import: refused before any byte. */
static int
replicate_size_check(struct replicate *rp)
{
	uint64_t total = 0, cap = rp->srv->cfg != NULL ? rp->srv->cfg->images.max_size : 0;

	for (size_t f = manifest_kind_first(rp->m->kind); f < manifest_kind_end(rp->m->kind); f++)
		total += rp->m->files[f].size;
	if (cap == 0 || total <= cap)
		return 0;
	log_warn(rp->fields,
	    "Not replicating image \"%s\": its files take %" PRIu64 " bytes, more than the "
	    "image size cap of %" PRIu64 " bytes (images: max_size)",
	    rp->m->name, total, cap);
	return -EFBIG;
}

/* Files the store already has, by digest and size: copied instead of fetched. */
static void
replicate_find_local(struct replicate *rp)
{
	for (size_t f = manifest_kind_first(rp->m->kind); f < manifest_kind_end(rp->m->kind); f++) {
		off_t size;
		int fd = store_blob_open(rp->srv->store, rp->m->files[f].sha256, &size);

		if (fd >= 0 && (uint64_t)size == rp->m->files[f].size)
			rp->local[f] = fd;
		else if (fd >= 0)
			close(fd);
	}
}

/* libcurl, loaded here on the loop thread before the worker uses it (curl-dl.h). */
static int
replicate_load_curl(struct replicate *rp)
{
	_cleanup_free_ char *why = NULL;
	int r = curl_dl_open(&why);

	if (r < 0)
		log_err(rp->fields, "Replicating image \"%s\" needs libcurl (%s): %s", rp->m->name,
		    CURL_DL_SONAME, why != NULL ? why : strerror(-r));
	return r;
}

int
replicate_start(struct server *srv, const struct replicate_params *p,
    replicate_progress_fn progress, replicate_done_fn done, void *userdata, struct replicate **ret)
{
	struct replicate *rp = calloc(1, sizeof(*rp));
	int r;

	if (rp == NULL)
		return -ENOMEM;
	*rp = (struct replicate){.srv = srv,
	    .progress = progress,
	    .done = done,
	    .userdata = userdata,
	    .local = {-1, -1, -1, -1}};
	if ((r = replicate_setup(rp, p)) < 0 || (r = replicate_size_check(rp)) < 0 ||
	    (r = replicate_load_curl(rp)) < 0 ||
	    (r = store_txn_begin(srv->store, p->m->name, &rp->txn)) < 0 ||
	    (r = store_txn_set_origin(rp->txn, p->m->origin, p->m->origin_boot)) < 0)
		goto fail;
	store_txn_set_kind(rp->txn, p->m->kind);
	replicate_find_local(rp);
	if ((r = worker_start(srv->base, replicate_thread, on_worker_progress, on_worker_finished,
	         rp, &rp->worker)) < 0)
		goto fail;
	rp->next = srv->replicates;
	if (srv->replicates != NULL)
		srv->replicates->prev = rp;
	srv->replicates = rp;
	*ret = rp;
	return 0;
fail:
	replicate_free(rp);
	return r;
}

void
replicate_cancel(struct replicate *rp)
{
	if (rp == NULL || rp->finishing)
		return;
	atomic_store(&rp->cancel, true);
}

void
replicate_shutdown(struct server *srv)
{
	while (srv->replicates != NULL) {
		struct replicate *rp = srv->replicates;

		rp->progress = NULL;
		rp->done = NULL;
		atomic_store(&rp->cancel, true);
		replicate_free(rp); /* joins the worker */
	}
}
