/*
 * The JSON of /ui/state (ui.h): what `netbootctl images`, `profile list`,
 * `group list` and `machines` show, each machine with its last syslog
 * lines, and the last boot events of all machines.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "fleet-json.h"
#include "progress.h"
#include "store.h"
#include "syslog-recv.h"
#include "ui.h"

#ifndef NETBOOTD_VERSION
#define NETBOOTD_VERSION "0"
#endif

/* Add 'item' to 'parent' (an array when key is NULL); false, and item freed, on failure. */
static bool
add(cJSON *parent, const char *key, cJSON *item)
{
	bool ok = item != NULL && (key != NULL ? cJSON_AddItemToObject(parent, key, item)
	                                       : cJSON_AddItemToArray(parent, item));

	if (!ok)
		cJSON_Delete(item);
	return ok;
}

/* Stored images are ready here; "instances" tells the other instances' readiness. */
static cJSON *
images_json(struct server *srv)
{
	struct manifest **list = NULL;
	size_t n = 0;
	cJSON *a = cJSON_CreateArray();
	bool ok = a != NULL && store_image_list(srv->store, &list, &n) >= 0;

	for (size_t i = 0; ok && i < n; i++) {
		cJSON *m = manifest_to_json(list[i]), *where;

		ok = add(a, NULL, m) && cJSON_AddStringToObject(m, "state", "ready") &&
		     cJSON_AddNumberToObject(
		         m, "assigned", (double)store_image_assigned(srv->store, list[i]->name));
		if (ok && (where = store_image_instances(srv->store, list[i]->name)) != NULL)
			ok = add(m, "instances", where);
	}
	store_image_list_free(list, n);
	if (!ok)
		cJSON_Delete(a);
	return ok ? a : NULL;
}

static cJSON *
fleet_json(struct server *srv, bool groups)
{
	const struct fleet *f = store_fleet(srv->store);
	size_t n = groups ? f->n_groups : f->n_profiles;
	cJSON *a = cJSON_CreateArray();
	bool ok = a != NULL;

	for (size_t i = 0; ok && i < n; i++)
		ok = add(a, NULL,
		    groups ? fleet_json_group(&f->groups[i]) : fleet_json_profile(&f->profiles[i]));
	if (!ok)
		cJSON_Delete(a);
	return ok ? a : NULL;
}

/* The last UI_LOG_LINES lines of a machine: counted, then added. */
struct log_tail {
	cJSON *a;
	size_t n, skip;
	bool failed;
};

static void
count_line(const struct syslog_line *l, void *userdata)
{
	(void)l;
	((struct log_tail *)userdata)->n++;
}

static void
add_line(const struct syslog_line *l, void *userdata)
{
	struct log_tail *t = userdata;
	cJSON *o;

	if (t->skip > 0) {
		t->skip--;
		return;
	}
	o = cJSON_CreateObject();
	if (!add(t->a, NULL, o) || !cJSON_AddNumberToObject(o, "time", (double)l->time_ms) ||
	    !cJSON_AddStringToObject(o, "severity", syslog_severity_name(l->m.severity)) ||
	    !cJSON_AddItemToObject(
	        o, "hostname", cmd_json_str_or_null(l->m.hostname[0] ? l->m.hostname : NULL)) ||
	    !cJSON_AddItemToObject(o, "app", cmd_json_str_or_null(l->m.app[0] ? l->m.app : NULL)) ||
	    !cJSON_AddStringToObject(o, "msg", l->m.msg))
		t->failed = true;
}

static cJSON *
logs_json(struct server *srv, const uint8_t mac[MAC_LEN])
{
	struct log_tail t = {.a = cJSON_CreateArray()};

	if (t.a == NULL)
		return NULL;
	if (srv->syslog != NULL) {
		syslog_foreach(srv->syslog, mac, 0, count_line, &t);
		t.skip = t.n > UI_LOG_LINES ? t.n - UI_LOG_LINES : 0;
		syslog_foreach(srv->syslog, mac, 0, add_line, &t);
	}
	if (t.failed) {
		cJSON_Delete(t.a);
		return NULL;
	}
	return t.a;
}

cJSON *
ui_machine_json(struct server *srv, const uint8_t mac[MAC_LEN])
{
	cJSON *o = cmd_machine_to_json(srv, mac, store_machine_get(srv->store, mac));

	if (o != NULL &&
	    (!cmd_machine_add_boot(srv, mac, o) || !add(o, "logs", logs_json(srv, mac)))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* The newest UI_LAST_EVENTS events of all machines, kept sorted oldest first. */
struct event_tail {
	const struct progress_event *ev[UI_LAST_EVENTS];
	size_t n;
};

static void
keep_event(const struct progress_event *ev, void *userdata)
{
	struct event_tail *t = userdata;
	size_t i;

	if (t->n == UI_LAST_EVENTS && ev->time_ms <= t->ev[0]->time_ms)
		return;
	if (t->n == UI_LAST_EVENTS) /* drop the oldest */
		memmove(&t->ev[0], &t->ev[1], --t->n * sizeof(t->ev[0]));
	for (i = t->n; i > 0 && t->ev[i - 1]->time_ms > ev->time_ms; i--)
		t->ev[i] = t->ev[i - 1];
	t->ev[i] = ev;
	t->n++;
}

static cJSON *
events_json(struct server *srv)
{
	struct event_tail t = {.n = 0};
	cJSON *a = cJSON_CreateArray();
	bool ok = a != NULL;

	progress_foreach(srv->progress, keep_event, &t);
	for (size_t i = 0; ok && i < t.n; i++)
		ok = add(a, NULL, cmd_event_to_json(t.ev[i]));
	if (!ok)
		cJSON_Delete(a);
	return ok ? a : NULL;
}

/* The MACs of the machines: those with an entry, then those seen booting. */
struct mac_list {
	struct server *srv;
	cJSON *a;
	uint8_t (*seen)[MAC_LEN];
	size_t n, cap;
	bool failed;
};

static void
collect_seen(const struct progress_event *ev, void *userdata)
{
	struct mac_list *l = userdata;

	if (!ev->has_mac || l->failed || store_machine_get(l->srv->store, ev->mac) != NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		if (memcmp(l->seen[i], ev->mac, MAC_LEN) == 0)
			return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		void *p = realloc(l->seen, cap * MAC_LEN);

		if (p == NULL) {
			l->failed = true;
			return;
		}
		l->seen = p, l->cap = cap;
	}
	memcpy(l->seen[l->n++], ev->mac, MAC_LEN);
}

static cJSON *
machines_json(struct server *srv)
{
	struct mac_list l = {.srv = srv, .a = cJSON_CreateArray()};
	size_t n;
	const struct fleet_machine *list = store_machine_list(srv->store, &n);
	bool ok = l.a != NULL;

	for (size_t i = 0; ok && i < n; i++)
		ok = add(l.a, NULL, ui_machine_json(srv, list[i].mac));
	if (ok)
		progress_foreach(srv->progress, collect_seen, &l);
	for (size_t i = 0; ok && i < l.n; i++)
		ok = add(l.a, NULL, ui_machine_json(srv, l.seen[i]));
	free(l.seen);
	if (!ok || l.failed) {
		cJSON_Delete(l.a);
		return NULL;
	}
	return l.a;
}

cJSON *
ui_state_json(struct server *srv)
{
	struct timespec ts;
	cJSON *o = cJSON_CreateObject();
	bool ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ok = o != NULL && cJSON_AddStringToObject(o, "version", NETBOOTD_VERSION) &&
	     cJSON_AddStringToObject(o, "instance", progress_instance(srv->progress)) &&
	     cJSON_AddNumberToObject(o, "time", (double)ts.tv_sec * 1000 + ts.tv_nsec / 1000000) &&
	     cJSON_AddNumberToObject(o, "started", (double)srv->started * 1000) &&
	     add(o, "images", images_json(srv)) && add(o, "profiles", fleet_json(srv, false)) &&
	     add(o, "groups", fleet_json(srv, true)) && add(o, "machines", machines_json(srv)) &&
	     add(o, "events", events_json(srv));
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
