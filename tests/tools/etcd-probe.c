/*
 * etcd-probe: daemon/etcd.c on an event loop, for shell tests.
 *
 *   etcd-probe [OPTIONS] ENDPOINTS COMMAND ARGS...
 *     put KEY VALUE | put-file KEY FILE | get KEY | prefix PREFIX | del KEY
 *     txn-cas KEY EXPECTED_MOD_REVISION VALUE
 *     watch PREFIX N [START_REVISION]     N events, then exit
 *     lease TTL [KEEPALIVES [KEY]]         grant, put KEY under it, renew every TTL/3 s
 *     state SECONDS [PREFIX]               print up/down transitions (a watch keeps trying)
 *     selftest                             the callback rules of etcd.h ("selftest ok: ..." lines)
 *   OPTIONS: --user U --password P --ca F --cert F --key F
 *
 * ENDPOINTS: comma-separated URLs.  Output, one fact per line:
 *   kv key=K mod=R create=R version=V lease=L value_hex=H
 *   count=N revision=R | ok revision=R | succeeded revision=R | failed revision=R mod=R
 *   event PUT|DELETE key=K mod=R value_hex=H | stale compact_revision=R
 *   granted id=ID ttl=T | keepalive ttl=T | up | down WHY
 *   error NAME: MESSAGE   (NAME: unavailable, timeout, denied, stale, canceled, ...; exit 1)
 * Exit status 0, 1 (an error), 2 (usage), 3 (a watch got -ESTALE), 4 (the txn's compare failed).
 */
#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curl-dl.h"
#include "etcd.h"
#include "log.h"

static struct event_base *base;
static struct etcd *client;
static int exit_status;
static long watch_left;
static int64_t lease_id, lease_ttl;
static long keepalives_left;
static const char *lease_key;
static struct event *lease_timer;

static const char *
error_name(int error)
{
	switch (error) {
	case -EHOSTUNREACH:
		return "unavailable";
	case -ETIMEDOUT:
		return "timeout";
	case -EACCES:
		return "denied";
	case -ESTALE:
		return "stale";
	case -ECANCELED:
		return "canceled";
	case -EBADMSG:
		return "bad-reply";
	case -ENOENT:
		return "not-found";
	default:
		return strerror(-error);
	}
}

static void
fail(int error, const char *message)
{
	printf("error %s: %s\n", error_name(error), message != NULL ? message : strerror(-error));
	exit_status = 1;
	event_base_loopbreak(base);
}

static void
print_hex(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", (unsigned char)p[i]);
}

static void
print_kv(const char *what, const struct etcd_kv *kv)
{
	printf("%s key=%s mod=%" PRId64 " create=%" PRId64 " version=%" PRId64 " lease=%" PRId64
	       " value_hex=",
	    what, kv->key, kv->mod_revision, kv->create_revision, kv->version, kv->lease);
	print_hex(kv->value, kv->value_len);
	printf("\n");
}

static void
on_range(const struct etcd_result *r, void *userdata)
{
	if (r->error != 0) {
		fail(r->error, r->message);
		return;
	}
	for (size_t i = 0; i < r->n_kvs; i++)
		print_kv("kv", &r->kvs[i]);
	printf("count=%" PRId64 " revision=%" PRId64 "\n", r->count, r->revision);
	event_base_loopbreak(base);
}

static void
on_write(const struct etcd_result *r, void *userdata)
{
	if (r->error != 0) {
		fail(r->error, r->message);
		return;
	}
	printf("ok revision=%" PRId64 "\n", r->revision);
	event_base_loopbreak(base);
}

static void
on_txn(const struct etcd_result *r, void *userdata)
{
	if (r->error != 0) {
		fail(r->error, r->message);
		return;
	}
	if (r->succeeded)
		printf("succeeded revision=%" PRId64 "\n", r->revision);
	else
		printf("failed revision=%" PRId64 " mod=%" PRId64 "\n", r->revision,
		    r->n_kvs > 0 ? r->kvs[0].mod_revision : 0);
	exit_status = r->succeeded ? 0 : 4;
	event_base_loopbreak(base);
}

static void
on_watch(int error, const struct etcd_event *ev, size_t n, int64_t revision, void *userdata)
{
	if (error == -ESTALE) {
		printf("stale compact_revision=%" PRId64 "\n", revision);
		exit_status = 3;
		event_base_loopbreak(base);
		return;
	}
	if (error != 0) {
		fail(error, "the watch ended");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		print_kv(ev[i].type == ETCD_EVENT_PUT ? "event PUT" : "event DELETE", &ev[i].kv);
		if (watch_left > 0 && --watch_left == 0)
			event_base_loopbreak(base);
	}
}

static void
on_state(bool up, const char *why, void *userdata)
{
	if (up)
		printf("up\n");
	else
		printf("down %s\n", why);
}

static void lease_renew(evutil_socket_t fd, short what, void *arg);

static void
lease_schedule(void)
{
	struct timeval tv = {lease_ttl / 3, (lease_ttl % 3) * 333333};

	evtimer_add(lease_timer, &tv);
}

static void
on_keepalive(const struct etcd_result *r, void *userdata)
{
	if (r->error != 0) {
		fail(r->error, r->message);
		return;
	}
	printf("keepalive ttl=%" PRId64 "\n", r->ttl);
	if (r->ttl <= 0) {
		fail(-ENOENT, "the lease expired");
		return;
	}
	if (--keepalives_left <= 0) {
		event_base_loopbreak(base);
		return;
	}
	lease_schedule();
}

static void
lease_renew(evutil_socket_t fd, short what, void *arg)
{
	int k = etcd_lease_keepalive(client, lease_id, on_keepalive, NULL);

	if (k < 0)
		fail(k, "cannot send a keepalive");
}

static void
on_lease_put(const struct etcd_result *r, void *userdata)
{
	if (r->error != 0) {
		fail(r->error, r->message);
		return;
	}
	printf("ok revision=%" PRId64 "\n", r->revision);
	lease_schedule();
}

static void
on_grant(const struct etcd_result *r, void *userdata)
{
	int k;

	if (r->error != 0) {
		fail(r->error, r->message);
		return;
	}
	lease_id = r->lease_id;
	printf("granted id=%" PRId64 " ttl=%" PRId64 "\n", r->lease_id, r->ttl);
	if (lease_key == NULL) {
		lease_schedule();
		return;
	}
	k = etcd_put(client, lease_key, "leased", 6, lease_id, on_lease_put, NULL);
	if (k < 0)
		fail(k, "cannot put");
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(base);
}

static char *
read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(ETCD_VALUE_MAX + 1);
	size_t n;

	if (f == NULL || buf == NULL) {
		perror(path);
		exit(2);
	}
	n = fread(buf, 1, ETCD_VALUE_MAX + 1, f);
	fclose(f);
	*ret_len = n;
	return buf;
}

static int
run_kv(int argc, char **argv)
{
	const char *cmd = argv[0];

	if (strcmp(cmd, "put") == 0 && argc == 3)
		return etcd_put(client, argv[1], argv[2], strlen(argv[2]), 0, on_write, NULL);
	if (strcmp(cmd, "put-file") == 0 && argc == 3) {
		size_t n;
		char *v = read_file(argv[2], &n);
		int k = etcd_put(client, argv[1], v, n, 0, on_write, NULL);

		free(v);
		return k;
	}
	if (strcmp(cmd, "get") == 0 && argc == 2)
		return etcd_range(client, argv[1], NULL, 0, on_range, NULL);
	if (strcmp(cmd, "prefix") == 0 && argc == 2) {
		char *end = etcd_prefix_end(argv[1]);
		int k = etcd_range(client, argv[1], end, 0, on_range, NULL);

		free(end);
		return k;
	}
	if (strcmp(cmd, "del") == 0 && argc == 2)
		return etcd_delete(client, argv[1], NULL, on_write, NULL);
	if (strcmp(cmd, "txn-cas") == 0 && argc == 4) {
		struct etcd_cmp cmp = {.key = argv[1],
		    .target = ETCD_CMP_MOD,
		    .result = ETCD_CMP_EQUAL,
		    .number = strtoll(argv[2], NULL, 10)};
		struct etcd_op ok = {.type = ETCD_OP_PUT,
		    .key = argv[1],
		    .value = argv[3],
		    .value_len = strlen(argv[3])};
		struct etcd_op no = {.type = ETCD_OP_RANGE, .key = argv[1]};
		struct etcd_txn t = {&cmp, 1, &ok, &no, 1, 1};

		return etcd_txn(client, &t, on_txn, NULL);
	}
	return 1;
}

static int
run_stream(int argc, char **argv, struct etcd_watch **w)
{
	const char *cmd = argv[0];
	char *end;
	int k;

	if (strcmp(cmd, "watch") == 0 && (argc == 3 || argc == 4)) {
		watch_left = strtol(argv[2], NULL, 10);
		end = etcd_prefix_end(argv[1]);
		k = etcd_watch_start(client, argv[1], end,
		    argc == 4 ? strtoll(argv[3], NULL, 10) : 0, on_watch, NULL, w);
		free(end);
		return k;
	}
	if (strcmp(cmd, "lease") == 0 && argc >= 2 && argc <= 4) {
		lease_ttl = strtoll(argv[1], NULL, 10);
		keepalives_left = argc >= 3 ? strtol(argv[2], NULL, 10) : -1;
		lease_key = argc == 4 ? argv[3] : NULL;
		lease_timer = evtimer_new(base, lease_renew, NULL);
		return etcd_lease_grant(client, lease_ttl, on_grant, NULL);
	}
	if (strcmp(cmd, "state") == 0 && (argc == 2 || argc == 3)) {
		struct timeval tv = {strtol(argv[1], NULL, 10), 0};

		etcd_set_state_callback(client, on_state, NULL);
		event_base_once(base, -1, EV_TIMEOUT, on_deadline, NULL, &tv);
		end = etcd_prefix_end(argc == 3 ? argv[2] : "/probe/");
		k = etcd_watch_start(
		    client, argc == 3 ? argv[2] : "/probe/", end, 0, on_watch, NULL, w);
		free(end);
		return k;
	}
	return 1;
}

/* ---- selftest: the callback rules of etcd.h, against a live cluster ---- */

static int st_calls, st_canceled;
static int64_t st_rev;
static bool st_inside;
static const struct etcd_options *st_opt;

static void
st_expect(bool cond, const char *what)
{
	printf("%s %s\n", cond ? "selftest ok:" : "selftest FAIL:", what);
	if (!cond)
		exit_status = 1;
}

static void
st_count(const struct etcd_result *r, void *userdata)
{
	st_expect(!st_inside, "no callback from inside the call");
	st_calls++;
	st_rev = r->revision;
	if (r->error == -ECANCELED)
		st_canceled++;
	if (userdata != NULL)
		event_base_loopbreak(base);
}

/* The first of three callbacks frees the client: the other two get -ECANCELED in etcd_free(). */
static void
st_free_first(const struct etcd_result *r, void *userdata)
{
	st_calls++;
	if (st_calls == 1) {
		st_expect(r->error == 0, "the first get succeeded");
		etcd_free(client);
		client = NULL;
		st_expect(st_canceled == 2, "etcd_free() from a callback cancels the other two");
		event_base_loopbreak(base);
	} else if (r->error == -ECANCELED)
		st_canceled++;
}

static void
st_watch_stop_self(int error, const struct etcd_event *ev, size_t n, int64_t rev, void *userdata)
{
	struct etcd_watch **w = userdata;

	st_expect(error == 0 && n == 1, "the watch saw the put");
	etcd_watch_stop(*w); /* inside its own callback */
	*w = NULL;
	event_base_loopbreak(base);
}

static void
st_watch_canceled(int error, const struct etcd_event *ev, size_t n, int64_t rev, void *userdata)
{
	if (error == -ECANCELED)
		st_canceled++;
}

static void
st_run(void)
{
	struct etcd_watch *w = NULL, *w2 = NULL;

	st_calls = st_canceled = 0;
	st_inside = true;
	st_expect(etcd_range(client, "/selftest", NULL, 0, st_count, &st_rev) == 0, "range queued");
	st_inside = false;
	event_base_dispatch(base);
	st_expect(st_calls == 1, "one callback");
	/* Stop a watch inside its callback; free a client with a running watch and requests. */
	st_expect(etcd_watch_start(client, "/selftest/", "/selftest0", st_rev + 1,
	              st_watch_stop_self, &w, &w) == 0,
	    "watch started");
	st_expect(etcd_watch_start(client, "/selftest/", "/selftest0", st_rev + 1,
	              st_watch_canceled, NULL, &w2) == 0,
	    "second watch started");
	st_expect(etcd_put(client, "/selftest/k", "v", 1, 0, st_count, NULL) == 0, "put queued");
	st_calls = 0;
	event_base_dispatch(base);
	st_expect(w == NULL, "the watch stopped itself");
	/* The put's reply may come after the watch's event: wait for it (10 s at most). */
	for (int i = 0; st_calls == 0 && i < 1000; i++) {
		struct timeval tick = {0, 10000};

		event_base_loopexit(base, &tick);
		event_base_dispatch(base);
	}
	st_expect(st_calls == 1, "the put answered");
	st_calls = st_canceled = 0;
	etcd_range(client, "/selftest", NULL, 0, st_count, NULL);
	etcd_range(client, "/selftest", NULL, 0, st_count, NULL);
	etcd_free(client);
	st_expect(
	    st_calls == 2 && st_canceled == 3, "etcd_free() cancels 2 requests and the watch");
	etcd_new(base, st_opt, &client);
	st_calls = st_canceled = 0;
	for (int i = 0; i < 3; i++)
		etcd_range(client, "/selftest", NULL, 0, st_free_first, NULL);
	event_base_dispatch(base);
}

static int
usage(void)
{
	fprintf(stderr,
	    "usage: etcd-probe [--user U --password P --ca F --cert F --key F] "
	    "ENDPOINTS put|put-file|get|prefix|del|txn-cas|watch|lease|state ARGS...\n");
	return 2;
}

/* Endpoints "a,b,c" split in place. */
static size_t
split_endpoints(char *s, const char **ret, size_t max)
{
	size_t n = 0;

	for (char *tok = strtok(s, ","); tok != NULL && n < max; tok = strtok(NULL, ","))
		ret[n++] = tok;
	return n;
}

int
main(int argc, char **argv)
{
	const char *endpoints[16];
	struct etcd_options opt = {.endpoints = endpoints};
	struct etcd_watch *w = NULL;
	struct event *sigterm, *sigint;
	char *why = NULL;
	int i = 1, k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(getenv("ETCD_PROBE_DEBUG") != NULL);
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		const char **o = strcmp(argv[i], "--user") == 0       ? &opt.username
		                 : strcmp(argv[i], "--password") == 0 ? &opt.password
		                 : strcmp(argv[i], "--ca") == 0       ? &opt.ca
		                 : strcmp(argv[i], "--cert") == 0     ? &opt.cert
		                 : strcmp(argv[i], "--key") == 0      ? &opt.key
		                                                      : NULL;
		if (o == NULL)
			return usage();
		*o = argv[i + 1];
	}
	if (argc - i < 2)
		return usage();
	opt.n_endpoints = split_endpoints(argv[i], endpoints, 16);
	if ((k = curl_dl_open(&why)) < 0) {
		fprintf(stderr, "etcd-probe needs libcurl (%s): %s\n", CURL_DL_SONAME,
		    why != NULL ? why : strerror(-k));
		free(why);
		return 1;
	}
	if ((base = event_base_new()) == NULL)
		return 1;
	/* SIGTERM/SIGINT: a clean exit (etcd_free() with everything pending). */
	sigterm = evsignal_new(base, SIGTERM, on_deadline, NULL);
	sigint = evsignal_new(base, SIGINT, on_deadline, NULL);
	if (sigterm == NULL || sigint == NULL || event_add(sigterm, NULL) < 0 ||
	    event_add(sigint, NULL) < 0)
		return 1;
	k = etcd_new(base, &opt, &client);
	if (k < 0) {
		fprintf(stderr, "etcd_new: %s\n", strerror(-k));
		return 2;
	}
	if (argc - i == 2 && strcmp(argv[i + 1], "selftest") == 0) {
		st_opt = &opt;
		st_run();
		etcd_free(client);
		event_free(sigterm);
		event_free(sigint);
		event_base_free(base);
		curl_dl_close();
		return exit_status;
	}
	k = run_kv(argc - i - 1, argv + i + 1);
	if (k == 1)
		k = run_stream(argc - i - 1, argv + i + 1, &w);
	if (k == 1)
		return usage();
	if (k < 0)
		fail(k, "the request was refused");
	else
		event_base_dispatch(base);
	etcd_watch_stop(w);
	etcd_free(client);
	if (lease_timer != NULL)
		event_free(lease_timer);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(base);
	curl_dl_close();
	return exit_status;
}
