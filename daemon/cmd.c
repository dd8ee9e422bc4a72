/*
 * What the command handlers share: the list of families and the lookup of a
 * handler, the client's state slot, the store error mapping and the JSON of
 * machines and boot events.
 */
#include "cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "fleet-json.h"
#include "import.h"
#include "lifecycle-table.h"
#include "log.h"
#include "progress.h"
#include "store.h"
#include "syslog-recv.h"
#include "util.h"

/* Every family of handlers: the one list to extend with a new cmd-FAMILY.c. */
static const struct cmd_handler *const families[] = {
    cmd_status_handlers,
    cmd_image_handlers,
    cmd_machine_handlers,
    cmd_config_handlers,
    cmd_fleet_handlers,
    cmd_settings_handlers,
    cmd_watch_handlers,
    cmd_explain_handlers,
    cmd_logs_handlers,
};

control_handler_fn
cmd_handler(const struct control_command *cmd)
{
	for (size_t f = 0; f < ELEMENTSOF(families); f++)
		for (const struct cmd_handler *h = families[f]; h->name != NULL; h++)
			if (strcmp(h->name, cmd->name) == 0)
				return h->fn;
	return NULL;
}

static size_t
handlers_named(const char *name)
{
	size_t n = 0;

	for (size_t f = 0; f < ELEMENTSOF(families); f++)
		for (const struct cmd_handler *h = families[f]; h->name != NULL; h++)
			n += strcmp(h->name, name) == 0;
	return n;
}

int
cmd_handlers_check(void)
{
	int r = 0;

	for (size_t i = 0; i < control_commands_n; i++) {
		size_t n = handlers_named(control_commands[i].name);

		if (n != 1) {
			log_err(NULL, "Control command \"%s\" has %zu handlers instead of one",
			    control_commands[i].name, n);
			r = -EINVAL;
		}
	}
	for (size_t f = 0; f < ELEMENTSOF(families); f++)
		for (const struct cmd_handler *h = families[f]; h->name != NULL; h++)
			if (control_commands_lookup(h->name) == NULL) {
				log_err(NULL, "Control handler \"%s\" has no command", h->name);
				r = -EINVAL;
			}
	return r;
}

struct cmd_state *
cmd_state(struct control_client *c)
{
	void **slot = control_client_slot(c);

	if (*slot == NULL)
		*slot = calloc(1, sizeof(struct cmd_state));
	return *slot;
}

void
cmd_client_gone(struct control_client *c)
{
	struct cmd_state *st = *control_client_slot(c);

	if (st == NULL)
		return;
	progress_unsubscribe(st->watch);
	syslog_unsubscribe(st->logs);
	if (st->import != NULL) {
		log_info(NULL, "The client adding image \"%s\" went away, cancelling", st->image);
		import_cancel(st->import);
	}
	free(st);
	*control_client_slot(c) = NULL;
}

bool
cmd_arg_true(const cJSON *args, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(args, key));
}

int
cmd_store_fail(struct control_status *err, int r, const char *what, const char *name)
{
	switch (r) {
	case -ENOENT:
		return control_fail(err, CONTROL_ERR_NOT_FOUND, "No such %s \"%s\".", what, name);
	case -ENOKEY:
		return control_fail(
		    err, CONTROL_ERR_NOT_FOUND, "no such cloud-config \"%s\".", name);
	case -EEXIST:
		return control_fail(
		    err, CONTROL_ERR_EXISTS, "The %s \"%s\" exists already.", what, name);
	case -EBUSY:
		return control_fail(
		    err, CONTROL_ERR_IN_USE, "The %s \"%s\" is in use.", what, name);
	case -E2BIG:
		return control_fail(
		    err, CONTROL_ERR_INVALID, "Too many entries: a limit is reached.");
	case -EINVAL:
		return control_fail(err, CONTROL_ERR_INVALID, "Invalid %s \"%s\".", what, name);
	default:
		return control_fail(err, CONTROL_ERR_IO, "Cannot change the %s \"%s\": %s.", what,
		    name, strerror(-r));
	}
}

int
cmd_oom(struct control_status *err)
{
	return control_fail(err, CONTROL_ERR_INTERNAL, "Out of memory.");
}

cJSON *
cmd_json_str_or_null(const char *s)
{
	return s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull();
}

void
cmd_log_change(const struct control_client *c, const char *event, const char *mac,
    const char *image, const char *sentence)
{
	char fields[256];

	snprintf(fields, sizeof(fields), "NETBOOT_EVENT=%s\nUID=%u%s%s%s%s", event,
	    (unsigned)control_client_peer(c)->uid, mac != NULL ? "\nNETBOOT_MAC=" : "",
	    mac ? mac : "", image != NULL ? "\nNETBOOT_IMAGE=" : "", image ? image : "");
	log_info(fields, "%s (uid %u)", sentence, (unsigned)control_client_peer(c)->uid);
}

cJSON *
cmd_event_to_json(const struct progress_event *ev)
{
	cJSON *o = cJSON_CreateObject();
	char mac[MAC_STRLEN], addr[INET_ADDRSTRLEN] = "";
	bool ok;

	if (o == NULL)
		return NULL;
	if (ev->has_mac)
		mac_format(ev->mac, ':', mac);
	if (ev->client.s_addr != 0)
		inet_ntop(AF_INET, &ev->client, addr, sizeof(addr));
	ok = cJSON_AddItemToObject(o, "mac", cmd_json_str_or_null(ev->has_mac ? mac : NULL)) &&
	     cJSON_AddNumberToObject(o, "time", (double)ev->time_ms) &&
	     cJSON_AddStringToObject(o, "kind", progress_kind_name(ev->kind)) &&
	     cJSON_AddItemToObject(o, "client", cmd_json_str_or_null(addr[0] ? addr : NULL)) &&
	     cJSON_AddStringToObject(o, "detail", ev->detail) &&
	     cJSON_AddNumberToObject(o, "bytes", (double)ev->bytes) &&
	     cJSON_AddNumberToObject(o, "total", (double)ev->total) &&
	     cJSON_AddBoolToObject(o, "complete", ev->complete) &&
	     (ev->instance[0] == '\0' || cJSON_AddStringToObject(o, "instance", ev->instance));
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* A number member in [0, max]; false if missing or out of range. */
static bool
json_u64(const cJSON *o, const char *key, double max, uint64_t *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > max)
		return false;
	*ret = (uint64_t)v->valuedouble;
	return true;
}

int
cmd_event_from_json(const cJSON *o, struct progress_event *ret)
{
	struct progress_event ev = {0};
	const char *mac = control_json_string(o, "mac"), *kind = control_json_string(o, "kind"),
	           *client = control_json_string(o, "client"),
	           *detail = control_json_string(o, "detail"),
	           *instance = control_json_string(o, "instance");
	const cJSON *complete = cJSON_GetObjectItemCaseSensitive(o, "complete");
	uint64_t t;

	if (mac == NULL || mac_parse(mac, ev.mac) < 0 || kind == NULL ||
	    progress_kind_parse(kind, &ev.kind) < 0 || !json_u64(o, "time", 9e15, &t) ||
	    !json_u64(o, "bytes", 9e15, &ev.bytes) || !json_u64(o, "total", 9e15, &ev.total) ||
	    (client != NULL && inet_pton(AF_INET, client, &ev.client) != 1) ||
	    (detail != NULL && strlen(detail) >= sizeof(ev.detail)) || instance == NULL ||
	    !name_valid(instance) || !cJSON_IsBool(complete))
		return -EBADMSG;
	ev.has_mac = true;
	ev.time_ms = (int64_t)t;
	ev.complete = cJSON_IsTrue(complete);
	snprintf(ev.detail, sizeof(ev.detail), "%s", detail != NULL ? detail : "");
	snprintf(ev.instance, sizeof(ev.instance), "%s", instance);
	*ret = ev;
	return 0;
}

/* Add item to o, or delete it (o may be NULL). */
static bool
add_or_delete(cJSON *o, const char *key, cJSON *item)
{
	if (o != NULL && item != NULL && cJSON_AddItemToObject(o, key, item))
		return true;
	cJSON_Delete(item);
	return false;
}

static cJSON *
ms_or_null(int64_t ms)
{
	return ms != 0 ? cJSON_CreateNumber((double)ms) : cJSON_CreateNull();
}

cJSON *
cmd_lifecycle_to_json(const struct lifecycle_record *r)
{
	static const struct lifecycle_record none = {.state = LIFECYCLE_NEW};
	cJSON *o = cJSON_CreateObject();

	if (r == NULL)
		r = &none;
	if (o == NULL || !cJSON_AddStringToObject(o, "state", lifecycle_state_name(r->state)) ||
	    !cJSON_AddItemToObject(o, "since", ms_or_null(r->since_ms)) ||
	    !cJSON_AddItemToObject(
	        o, "error", cmd_json_str_or_null(r->error[0] ? r->error : NULL)) ||
	    !cJSON_AddItemToObject(o, "installed_at", ms_or_null(r->installed_ms)) ||
	    !cJSON_AddItemToObject(
	        o, "group", cmd_json_str_or_null(r->group[0] ? r->group : NULL)) ||
	    !cJSON_AddNumberToObject(o, "boots", r->boots) ||
	    !cJSON_AddNumberToObject(o, "installs", r->installs)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *
cmd_machine_to_json(struct server *srv, const uint8_t mac[MAC_LEN], const struct fleet_machine *m)
{
	const struct progress_event *ev = progress_last(srv->progress, mac);
	struct fleet_machine none = {.line = 0};
	cJSON *o, *last, *lc;
	bool ok;

	if (m == NULL) {
		memcpy(none.mac, mac, MAC_LEN);
		m = &none;
	}
	o = fleet_json_machine(m);
	last = ev != NULL ? cmd_event_to_json(ev) : cJSON_CreateNull();
	lc = cmd_lifecycle_to_json(lifecycle_get(srv->lifecycle, mac));
	/* Both calls run: each takes ownership of its value, even after a failure. */
	ok = add_or_delete(o, "last_event", last);
	ok = add_or_delete(o, "lifecycle", lc) && ok;
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
