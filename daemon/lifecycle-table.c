#include "lifecycle-table.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "clock.h"
#include "error.h"
#include "fsutil.h"
#include "io.h"
#include "log.h"
#include "progress.h"
#include "server.h"
#include "store.h"
#include "util.h"

#define LIFECYCLE_FILE     "lifecycle.json"
#define LIFECYCLE_MAX_FILE (64 * 1024 * 1024)

struct entry {
	uint8_t mac[MAC_LEN];
	struct lifecycle_record r;
};

/*
 * The first DHCP request of each machine's current boot, for the boot
 * duration: a small direct-mapped cache, so that DHCP (any MAC, unasked)
 * creates no record and costs no memory beyond it.
 */
#define DHCP_SLOTS 4096

struct dhcp_slot {
	uint8_t mac[MAC_LEN];
	int64_t ms;
};

/* Changes of state other than these wait at most this long to be written together. */
#define SAVE_DELAY_MS       1000
#define SAVE_RETRY_MS       50    /* a deferred save finds the previous one still writing */
#define BOOT_AGAIN_QUIET_MS 10000 /* "booting" again within this: logged at debug */

struct lifecycle_table {
	struct server *srv;
	int dirfd;
	struct entry *v; /* sorted by MAC */
	size_t n, cap;
	struct progress_sub *sub;
	struct dhcp_slot dhcp[DHCP_SLOTS];
	struct event *save_ev; /* a deferred save is pending when added */
	struct save_job *job;  /* a deferred save being written, or written and not joined */
	bool warned_full;
};

/*
 * A deferred save is written by a thread of its own, from a copy of the
 * records: rendering and writing 2,000 machines (350 KB, two fsync) took
 * 1-6 ms of the loop in a boot storm, once a second, and as long as the disk
 * wants on a slow one.  One at a time, so the files are renamed in the order
 * of their copies; a save that must be on disk before the loop goes on (a
 * change of state other than booting/installing, the last one at close)
 * waits for the thread first and writes itself.
 */
struct save_job {
	int dirfd;
	struct entry *v; /* the copy */
	size_t n;
	int r;
	atomic_bool done;
	pthread_t thread;
};

/* The index of 'mac', or where it would go (*found false). */
static size_t
find(const struct lifecycle_table *t, const uint8_t mac[MAC_LEN], bool *found)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(t->v[mid].mac, mac, MAC_LEN);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static struct entry *
lookup(const struct lifecycle_table *t, const uint8_t mac[MAC_LEN])
{
	bool found;
	size_t i = find(t, mac, &found);

	return found ? &t->v[i] : NULL;
}

/* Drop one record in state new (only seen at DHCP) to make room; false if none. */
static bool
evict_new(struct lifecycle_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].r.state == LIFECYCLE_NEW) {
			memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(t->v[0]));
			t->n--;
			return true;
		}
	return false;
}

/* The record of 'mac', created (state new) when missing; NULL: out of memory or room. */
static struct lifecycle_record *
obtain(struct lifecycle_table *t, const uint8_t mac[MAC_LEN])
{
	struct entry *e = lookup(t, mac), *v;
	bool found;
	size_t i;

	if (e != NULL)
		return &e->r;
	if (t->n >= STORE_MAX_MACHINES && !evict_new(t))
		return NULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;

		if ((v = reallocarray(t->v, cap, sizeof(*v))) == NULL)
			return NULL;
		t->v = v, t->cap = cap;
	}
	i = find(t, mac, &found);
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(t->v[0]));
	t->n++;
	t->v[i] = (struct entry){.r = {.since_ms = clock_ms(CLOCK_REALTIME)}};
	memcpy(t->v[i].mac, mac, MAC_LEN);
	return &t->v[i].r;
}

/* ---- lifecycle.json ---- */

static cJSON *
num_or_null(int64_t ms)
{
	return ms != 0 ? cJSON_CreateNumber((double)ms) : cJSON_CreateNull();
}

static cJSON *
str_or_null(const char *s)
{
	return s[0] != '\0' ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *
record_to_json(const struct lifecycle_record *r)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || !cJSON_AddStringToObject(o, "state", lifecycle_state_name(r->state)) ||
	    !cJSON_AddNumberToObject(o, "since", (double)r->since_ms) ||
	    !cJSON_AddItemToObject(o, "installed_at", num_or_null(r->installed_ms)) ||
	    !cJSON_AddItemToObject(o, "token", str_or_null(r->token)) ||
	    !cJSON_AddItemToObject(o, "error", str_or_null(r->error)) ||
	    !cJSON_AddItemToObject(o, "group", str_or_null(r->group)) ||
	    !cJSON_AddNumberToObject(o, "boots", r->boots) ||
	    !cJSON_AddNumberToObject(o, "installs", r->installs)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* lifecycle.json's text for the records v[0..n) (those not new), or NULL: out of memory. */
static char *
render(const struct entry *v, size_t n)
{
	cJSON *root = cJSON_CreateObject(), *machines = cJSON_CreateObject(), *o;
	char mac[MAC_STRLEN], *text = NULL;

	if (root == NULL || machines == NULL || !cJSON_AddNumberToObject(root, "version", 1) ||
	    !cJSON_AddItemToObject(root, "machines", machines))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (v[i].r.state == LIFECYCLE_NEW)
			continue;
		mac_format(v[i].mac, ':', mac);
		if ((o = record_to_json(&v[i].r)) == NULL ||
		    !cJSON_AddItemToObject(machines, mac, o))
			goto out;
	}
	text = cJSON_PrintUnformatted(root);
out:
	if (machines != NULL && cJSON_GetObjectItemCaseSensitive(root, "machines") == NULL)
		cJSON_Delete(machines);
	cJSON_Delete(root);
	return text;
}

static int
write_records(int dirfd, const struct entry *v, size_t n)
{
	char *text = render(v, n);
	int r =
	    text != NULL ? fs_atomic_write_at(dirfd, LIFECYCLE_FILE, text, strlen(text)) : -ENOMEM;

	free(text);
	return r;
}

/* On the loop: a save's result. */
static int
saved(struct lifecycle_table *t, int r)
{
	if (r < 0) {
		t->srv->stats.lifecycle.persist_errors++;
		log_err(NULL,
		    "Cannot write \"%s/%s\": %s; machines' lifecycle changes are kept in "
		    "memory only",
		    store_state_dir(t->srv->store), LIFECYCLE_FILE, strerror(-r));
	}
	return r;
}

/* Wait for the save thread, if there is one, and say how it went. */
static void
job_join(struct lifecycle_table *t)
{
	struct save_job *j = TAKE_PTR(t->job);

	if (j == NULL)
		return;
	pthread_join(j->thread, NULL);
	(void)saved(t, j->r);
	free(j->v);
	free(j);
}

static void *
job_run(void *arg)
{
	struct save_job *j = arg;

	j->r = write_records(j->dirfd, j->v, j->n);
	atomic_store(&j->done, true);
	return NULL;
}

/* Write lifecycle.json now, after any save still being written. */
static int
save(struct lifecycle_table *t)
{
	job_join(t);
	return saved(t, write_records(t->dirfd, t->v, t->n));
}

/* A copy of the records to a thread that writes them; false: it could not start. */
static bool
save_in_background(struct lifecycle_table *t)
{
	struct save_job *j = calloc(1, sizeof(*j));
	sigset_t all, old;
	int r;

	if (j == NULL || (j->v = reallocarray(NULL, t->n ? t->n : 1, sizeof(*j->v))) == NULL) {
		free(j);
		return false;
	}
	memcpy(j->v, t->v, t->n * sizeof(*j->v));
	j->n = t->n;
	j->dirfd = t->dirfd;
	atomic_init(&j->done, false);
	sigfillset(&all); /* the loop's signals stay the loop's */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&j->thread, NULL, job_run, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		free(j->v);
		free(j);
		return false;
	}
	t->job = j;
	return true;
}

static int64_t
json_ms(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) && v->valuedouble > 0 && v->valuedouble < 1e15
	           ? (int64_t)v->valuedouble
	           : 0;
}

/* A string member that fits 'size' (null or absent: ""); false when it is neither. */
static bool
json_text(const cJSON *o, const char *key, char *buf, size_t size)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	buf[0] = '\0';
	if (v == NULL || cJSON_IsNull(v))
		return true;
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= size)
		return false;
	memcpy(buf, v->valuestring, strlen(v->valuestring) + 1);
	return true;
}

static const char *
record_from_json(const cJSON *o, struct lifecycle_record *r)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "state");

	*r = (struct lifecycle_record){.since_ms = json_ms(o, "since")};
	if (!cJSON_IsObject(o))
		return "is not an object";
	if (!cJSON_IsString(st) || lifecycle_state_parse(st->valuestring, &r->state) < 0)
		return "has no known state";
	if (!json_text(o, "token", r->token, sizeof(r->token)) ||
	    (r->token[0] != '\0' && !lifecycle_token_valid(r->token)))
		return "has a bad token";
	if (!json_text(o, "error", r->error, sizeof(r->error)))
		return "has a bad error";
	if (!json_text(o, "group", r->group, sizeof(r->group)))
		return "has a bad group";
	r->installed_ms = json_ms(o, "installed_at");
	r->boots = (uint32_t)json_ms(o, "boots");
	r->installs = (uint32_t)json_ms(o, "installs");
	return NULL;
}

static int
parse_machines(struct lifecycle_table *t, const cJSON *machines, char **ret_error)
{
	struct lifecycle_record rec, *r;
	uint8_t mac[MAC_LEN];
	const char *why;
	const cJSON *o;

	if (!cJSON_IsObject(machines))
		return error_set(ret_error, -EBADMSG, "is not a lifecycle file (no \"machines\")");
	cJSON_ArrayForEach(o, machines)
	{
		if (mac_parse(o->string, mac) < 0)
			return error_set(
			    ret_error, -EBADMSG, "names a bad MAC \"%.32s\"", o->string);
		if ((why = record_from_json(o, &rec)) != NULL)
			return error_set(ret_error, -EBADMSG, "machine %s %s", o->string, why);
		if (lookup(t, mac) != NULL)
			return error_set(ret_error, -EBADMSG, "names %s twice", o->string);
		if ((r = obtain(t, mac)) == NULL)
			return error_set(ret_error, -E2BIG, "names too many machines");
		*r = rec;
	}
	return 0;
}

static int
parse(struct lifecycle_table *t, const char *text, char **ret_error)
{
	cJSON *root = cJSON_Parse(text);
	int r = parse_machines(t, cJSON_GetObjectItemCaseSensitive(root, "machines"), ret_error);

	cJSON_Delete(root);
	return r;
}

static int
load(struct lifecycle_table *t, char **ret_error)
{
	_cleanup_free_ char *text = NULL, *why = NULL;
	size_t len;
	int r = fs_read_file_at(t->dirfd, LIFECYCLE_FILE, LIFECYCLE_MAX_FILE, &text, &len);

	if (r == -ENOENT)
		return 0;
	if (r >= 0 && strlen(text) != len)
		r = error_set(&why, -EBADMSG, "holds a NUL byte");
	else if (r >= 0)
		r = parse(t, text, &why);
	else
		why = strdup(strerror(-r));
	if (r < 0)
		error_set(ret_error, r,
		    "\"%s/%s\" %s; fix or remove it (removing it makes every "
		    "installed machine netboot its installer again)",
		    store_state_dir(t->srv->store), LIFECYCLE_FILE, why ? why : "cannot be read");
	return r;
}

/* ---- events ---- */

/* The state change as a boot event (watch, the status page, the other instances) and a log line. */
static void
announce_at(struct lifecycle_table *t, const uint8_t mac[MAC_LEN], const struct lifecycle_record *r,
    int prio)
{
	struct progress_event ev = {.kind = PROGRESS_STATE, .has_mac = true, .complete = true};
	char m[MAC_STRLEN], fields[160];

	memcpy(ev.mac, mac, MAC_LEN);
	snprintf(ev.detail, sizeof(ev.detail), "%s", lifecycle_state_name(r->state));
	mac_format(mac, ':', m);
	snprintf(fields, sizeof(fields), "NETBOOT_MAC=%s\nNETBOOT_EVENT=state\nNETBOOT_STATE=%s", m,
	    ev.detail);
	if (r->state == LIFECYCLE_FAILED)
		log_warn(fields, "Machine %s: failed: %s", m, r->error);
	else
		log_msg(prio, fields, "Machine %s: %s", m, ev.detail);
	progress_record(t->srv->progress, &ev);
}

static void
announce(struct lifecycle_table *t, const uint8_t mac[MAC_LEN], const struct lifecycle_record *r)
{
	announce_at(t, mac, r, LOG_INFO);
}

static void
on_save(evutil_socket_t fd, short what, void *userdata)
{
	struct lifecycle_table *t = userdata;
	const struct timeval retry = {0, SAVE_RETRY_MS * 1000};

	if (t->job != NULL && !atomic_load(&t->job->done)) {
		evtimer_add(t->save_ev, &retry); /* the previous copy is still being written */
		return;
	}
	job_join(t);
	if (!save_in_background(t))
		(void)save(t);
}

/*
 * Write lifecycle.json now ('now': an installed machine must not install
 * again after a crash), or within SAVE_DELAY_MS, together with the other
 * changes meanwhile (a new boot's token: one write a second at most, however
 * many machines boot), by a thread (struct save_job).
 */
static void
persist(struct lifecycle_table *t, bool now)
{
	const struct timeval delay = {SAVE_DELAY_MS / 1000, SAVE_DELAY_MS % 1000 * 1000};

	if (now || t->save_ev == NULL) {
		if (t->save_ev != NULL)
			evtimer_del(t->save_ev);
		(void)save(t);
	} else if (!evtimer_pending(t->save_ev, NULL))
		evtimer_add(t->save_ev, &delay);
}

static void
changed(struct lifecycle_table *t, const uint8_t mac[MAC_LEN], const struct lifecycle_record *r)
{
	persist(t, r->state != LIFECYCLE_BOOTING && r->state != LIFECYCLE_INSTALLING);
	announce(t, mac, r);
}

static struct dhcp_slot *
dhcp_slot(struct lifecycle_table *t, const uint8_t mac[MAC_LEN])
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < MAC_LEN; i++)
		h = (h ^ mac[i]) * 16777619u;
	return &t->dhcp[h % DHCP_SLOTS];
}

/* The machine's first DHCP of this boot, taken (0: none seen). */
static int64_t
dhcp_take(struct lifecycle_table *t, const uint8_t mac[MAC_LEN])
{
	struct dhcp_slot *s = dhcp_slot(t, mac);
	int64_t ms = memcmp(s->mac, mac, MAC_LEN) == 0 ? s->ms : 0;

	if (ms != 0)
		s->ms = 0;
	return ms;
}

/* Another instance's state event: take the state, not a token (it is that instance's). */
static void
apply_remote(struct lifecycle_table *t, const struct progress_event *ev)
{
	enum lifecycle_state s;
	struct lifecycle_record *r;

	if (lifecycle_state_parse(ev->detail, &s) < 0 || (r = obtain(t, ev->mac)) == NULL ||
	    r->state == s)
		return;
	if (s == LIFECYCLE_NEW)
		lifecycle_reset(r, ev->time_ms);
	r->state = s, r->since_ms = ev->time_ms, r->token[0] = '\0';
	if (s == LIFECYCLE_INSTALLED)
		r->installed_ms = ev->time_ms, r->error[0] = '\0';
	persist(t, s != LIFECYCLE_BOOTING && s != LIFECYCLE_INSTALLING);
}

static void
on_event(const struct progress_event *ev, void *userdata)
{
	struct lifecycle_table *t = userdata;
	const char *self = progress_instance(t->srv->progress);
	struct dhcp_slot *s;

	if (!ev->has_mac)
		return;
	if (strcmp(ev->instance, self) != 0) {
		if (ev->kind == PROGRESS_STATE)
			apply_remote(t, ev);
		return;
	}
	if (ev->kind != PROGRESS_OFFER)
		return;
	s = dhcp_slot(t, ev->mac);
	if (memcmp(s->mac, ev->mac, MAC_LEN) != 0) {
		memcpy(s->mac, ev->mac, MAC_LEN);
		s->ms = 0;
	}
	lifecycle_on_dhcp(&s->ms, ev->time_ms);
}

/* ---- the server's side ---- */

int
lifecycle_open(
    struct server *srv, const char *state_dir, struct lifecycle_table **ret, char **ret_error)
{
	struct lifecycle_table *t = calloc(1, sizeof(*t));
	int r;

	if (t == NULL)
		return -ENOMEM;
	t->srv = srv;
	t->dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dirfd < 0) {
		r = error_set(ret_error, -errno, "Cannot open \"%s\": %m", state_dir);
		free(t);
		return r;
	}
	t->save_ev = evtimer_new(srv->base, on_save, t);
	if (t->save_ev == NULL)
		r = -ENOMEM;
	else if ((r = load(t, ret_error)) >= 0)
		r = progress_subscribe(srv->progress, NULL, on_event, t, &t->sub);
	if (r < 0) {
		lifecycle_close(t);
		return r;
	}
	*ret = t;
	return 0;
}

void
lifecycle_close(struct lifecycle_table *t)
{
	if (t == NULL)
		return;
	progress_unsubscribe(t->sub);
	if (t->save_ev != NULL) {
		if (evtimer_pending(t->save_ev, NULL))
			(void)save(t); /* what waited to be written */
		event_free(t->save_ev);
	}
	job_join(t);
	if (t->dirfd >= 0)
		close(t->dirfd);
	free(t->v);
	free(t);
}

const struct lifecycle_record *
lifecycle_get(const struct lifecycle_table *t, const uint8_t mac[MAC_LEN])
{
	const struct entry *e = t != NULL ? lookup(t, mac) : NULL;

	return e != NULL && e->r.state != LIFECYCLE_NEW ? &e->r : NULL;
}

bool
lifecycle_installed(void *table, const uint8_t mac[MAC_LEN])
{
	const struct lifecycle_record *r = lifecycle_get(table, mac);

	return r != NULL && r->state == LIFECYCLE_INSTALLED;
}

static void
new_token(char token[LIFECYCLE_TOKEN_LEN + 1])
{
	uint8_t rnd[LIFECYCLE_TOKEN_LEN / 2];

	/* getrandom() of 16 bytes does not fail once the pool is up (it blocks until then). */
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		abort();
	io_hex_encode(rnd, sizeof(rnd), token);
}

static void
begin_boot(struct lifecycle_table *t, const uint8_t mac[MAC_LEN], struct lifecycle_record *r,
    const char *group)
{
	char token[LIFECYCLE_TOKEN_LEN + 1];
	int64_t now = clock_ms(CLOCK_REALTIME);
	bool was_installed = r->state == LIFECYCLE_INSTALLED;
	/* its script again within seconds (iPXE retrying, a client in a loop): at debug */
	bool again = r->state == LIFECYCLE_BOOTING && now - r->since_ms < BOOT_AGAIN_QUIET_MS;

	new_token(token);
	snprintf(r->group, sizeof(r->group), "%s", group != NULL ? group : "");
	if (lifecycle_on_boot(r, token, now)) {
		t->srv->stats.lifecycle.failed_installs++;
		r->state = LIFECYCLE_FAILED;
		announce(t, mac, r);
		r->state = LIFECYCLE_BOOTING;
	}
	if (was_installed)
		persist(t, false); /* the new token; no change of state to tell */
	else if (again) {
		persist(t, false);
		announce_at(t, mac, r, LOG_DEBUG);
	} else
		changed(t, mac, r);
}

void
lifecycle_booted(struct lifecycle_table *t, const uint8_t mac[MAC_LEN], const char *group)
{
	struct lifecycle_record *r = obtain(t, mac);

	if (r == NULL) {
		if (!t->warned_full)
			log_warn(NULL,
			    "Cannot track the lifecycle of another machine: %d are tracked",
			    STORE_MAX_MACHINES);
		t->warned_full = true;
		return;
	}
	begin_boot(t, mac, r, group);
}

int
lifecycle_config(struct lifecycle_table *t, const uint8_t mac[MAC_LEN], const char *group,
    char token[LIFECYCLE_TOKEN_LEN + 1])
{
	struct lifecycle_record *r = obtain(t, mac);
	int64_t ms;

	if (r == NULL)
		return -E2BIG;
	if (r->token[0] == '\0')
		begin_boot(t, mac, r, group);
	r->dhcp_ms = dhcp_take(t, mac);
	if (lifecycle_on_config(r, clock_ms(CLOCK_REALTIME), &ms))
		stats_observe(&t->srv->stats.lifecycle.boot, stats_boot_bounds, STATS_BOOT_BUCKETS,
		    (double)ms / 1000);
	memcpy(token, r->token, LIFECYCLE_TOKEN_LEN + 1);
	return 0;
}

int
lifecycle_reported(struct lifecycle_table *t, const uint8_t mac[MAC_LEN], const char *token,
    enum lifecycle_state to, const char *error)
{
	struct entry *e = lookup(t, mac);
	struct lifecycle_stats *st = &t->srv->stats.lifecycle;
	int64_t ms = -1;
	int r = e != NULL ? lifecycle_report(&e->r, token, to, error, clock_ms(CLOCK_REALTIME), &ms)
	                  : -EACCES;

	if (r < 0) {
		st->reports_refused++;
		return r;
	}
	st->reports++;
	if (r == 1)
		return r;
	if (to == LIFECYCLE_INSTALLED && ms >= 0)
		stats_observe(
		    &st->install, stats_install_bounds, STATS_INSTALL_BUCKETS, (double)ms / 1000);
	if (to == LIFECYCLE_FAILED)
		st->failed_installs++;
	changed(t, mac, &e->r);
	return 0;
}

bool
lifecycle_reinstall(struct lifecycle_table *t, const uint8_t mac[MAC_LEN])
{
	struct entry *e = lookup(t, mac);
	bool had = e != NULL && e->r.state != LIFECYCLE_NEW;
	struct lifecycle_record *r = e != NULL ? &e->r : obtain(t, mac);

	if (r == NULL)
		return false;
	lifecycle_reset(r, clock_ms(CLOCK_REALTIME));
	changed(t, mac, r); /* told even when it was new here: another instance may know it */
	return had;
}

void
lifecycle_counts(const struct lifecycle_table *t, size_t ret[_LIFECYCLE_MAX])
{
	memset(ret, 0, sizeof(size_t) * _LIFECYCLE_MAX);
	for (size_t i = 0; t != NULL && i < t->n; i++)
		ret[t->v[i].r.state]++;
}

void
lifecycle_foreach(const struct lifecycle_table *t, lifecycle_fn fn, void *userdata)
{
	for (size_t i = 0; t != NULL && i < t->n; i++)
		if (t->v[i].r.state != LIFECYCLE_NEW)
			fn(t->v[i].mac, &t->v[i].r, userdata);
}
