/*
 * The control commands: one small handler each, one table.  Argument shapes
 * are already checked by control_request_parse() (lib/control-proto.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>

#include "control-internal.h"
#include "control.h"
#include "http.h"
#include "import.h"
#include "log.h"
#include "progress.h"
#include "store.h"
#include "tftp.h"
#include "util.h"

#ifndef NETBOOTD_VERSION
#define NETBOOTD_VERSION "0"
#endif

/* What a client has going: at most one of the two. */
struct cmd_state {
	struct progress_sub *watch;
	struct import *import;
	char image[CONTROL_NAME_MAX + 1];
};

/* ---- helpers ---- */

static bool
arg_true(const cJSON *args, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(args, key));
}

/* Map a store error to a wire code. */
static int
store_fail(struct control_status *err, int r, const char *what, const char *name)
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

static int
oom(struct control_status *err)
{
	return control_fail(err, CONTROL_ERR_INTERNAL, "Out of memory.");
}

static cJSON *
json_str_or_null(const char *s)
{
	return s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static void
log_change(const struct control_client *c, const char *event, const char *mac, const char *image,
    const char *fmt_sentence)
{
	char fields[256];

	snprintf(fields, sizeof(fields), "NETBOOT_EVENT=%s\nUID=%u%s%s%s%s", event,
	    (unsigned)control_client_peer(c)->uid, mac != NULL ? "\nNETBOOT_MAC=" : "",
	    mac ? mac : "", image != NULL ? "\nNETBOOT_IMAGE=" : "", image ? image : "");
	log_info(fields, "%s (uid %u)", fmt_sentence, (unsigned)control_client_peer(c)->uid);
}

static cJSON *
event_to_json(const struct progress_event *ev)
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
	ok = cJSON_AddItemToObject(o, "mac", json_str_or_null(ev->has_mac ? mac : NULL)) &&
	     cJSON_AddNumberToObject(o, "time", (double)ev->time_ms) &&
	     cJSON_AddStringToObject(o, "kind", progress_kind_name(ev->kind)) &&
	     cJSON_AddItemToObject(o, "client", json_str_or_null(addr[0] ? addr : NULL)) &&
	     cJSON_AddStringToObject(o, "detail", ev->detail) &&
	     cJSON_AddNumberToObject(o, "bytes", (double)ev->bytes) &&
	     cJSON_AddNumberToObject(o, "total", (double)ev->total) &&
	     cJSON_AddBoolToObject(o, "complete", ev->complete);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* {"mac","image","config","cmdline","cmdline_mode","last_event"}; m may be NULL. */
static cJSON *
machine_to_json(struct server *srv, const uint8_t mac[MAC_LEN], const struct store_machine *m)
{
	const struct progress_event *ev = progress_last(srv->progress, mac);
	cJSON *o = cJSON_CreateObject();
	char s[MAC_STRLEN];
	bool ok;

	if (o == NULL)
		return NULL;
	mac_format(mac, ':', s);
	ok = cJSON_AddStringToObject(o, "mac", s) &&
	     cJSON_AddItemToObject(o, "image", json_str_or_null(m ? m->image : NULL)) &&
	     cJSON_AddItemToObject(o, "config", json_str_or_null(m ? m->config : NULL)) &&
	     cJSON_AddItemToObject(o, "cmdline", json_str_or_null(m ? m->cmdline : NULL)) &&
	     cJSON_AddStringToObject(o, "cmdline_mode",
	         store_cmdline_mode_name(m ? m->cmdline_mode : STORE_CMDLINE_APPEND)) &&
	     cJSON_AddItemToObject(o, "last_event", ev ? event_to_json(ev) : cJSON_CreateNull());
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* ---- read-only commands ---- */

static size_t
config_count(struct server *srv)
{
	struct store_config_info *list = NULL;
	size_t n = 0;

	if (store_config_list(srv->store, &list, &n) < 0)
		return 0;
	free(list);
	return n;
}

static int
cmd_status(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const struct store_settings *set = store_settings(srv->store);
	_cleanup_free_ char *def = NULL;
	struct tftp_stats ts;
	struct http_stats hs;
	size_t n_machines, n_images = 0;
	cJSON *o = cJSON_CreateObject();

	(void)args;
	ts = srv->stats.tftp;
	hs = srv->stats.http;
	store_machine_list(srv->store, &n_machines);
	(void)store_image_count(srv->store, &n_images);
	(void)store_image_default(srv->store, srv->cfg->def.image, &def);
	if (o == NULL || !cJSON_AddStringToObject(o, "version", NETBOOTD_VERSION) ||
	    !cJSON_AddNumberToObject(o, "uptime_s", (double)(time(NULL) - srv->started)) ||
	    !cJSON_AddNumberToObject(o, "images", (double)n_images) ||
	    !cJSON_AddNumberToObject(o, "machines", (double)n_machines) ||
	    !cJSON_AddNumberToObject(o, "configs", (double)config_count(srv)) ||
	    !cJSON_AddItemToObject(o, "default_image", json_str_or_null(def)) ||
	    !cJSON_AddItemToObject(o, "default_config", json_str_or_null(set->default_config)) ||
	    !cJSON_AddBoolToObject(o, "default_boot", set->default_boot) ||
	    !cJSON_AddNumberToObject(o, "tftp_sessions", ts.active) ||
	    !cJSON_AddNumberToObject(o, "http_connections", hs.active)) {
		cJSON_Delete(o);
		return oom(err);
	}
	*ret = o;
	return 0;
}

static size_t
image_assigned(struct server *srv, const char *name)
{
	size_t n, count = 0;
	const struct store_machine *m = store_machine_list(srv->store, &n);

	for (size_t i = 0; i < n; i++)
		count += m[i].image != NULL && strcmp(m[i].image, name) == 0;
	return count;
}

static int
cmd_images(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	struct manifest **list = NULL;
	size_t n = 0;
	cJSON *a;
	int r;

	(void)args;
	if ((r = store_image_list(srv->store, &list, &n)) < 0)
		return store_fail(err, r, "image directory", "images");
	a = cJSON_CreateArray();
	for (size_t i = 0; a != NULL && i < n; i++) {
		cJSON *m = manifest_to_json(list[i]);

		if (m == NULL || !cJSON_AddNumberToObject(
		                     m, "assigned", (double)image_assigned(srv, list[i]->name))) {
			cJSON_Delete(m);
			cJSON_Delete(a);
			a = NULL;
		} else
			cJSON_AddItemToArray(a, m);
	}
	store_image_list_free(list, n);
	if (a == NULL)
		return oom(err);
	*ret = a;
	return 0;
}

/* Sorting and de-duplicating the MACs seen in progress. */
struct mac_set {
	uint8_t (*macs)[MAC_LEN];
	size_t n, cap;
	bool failed;
};

static void
collect_mac(const struct progress_event *ev, void *userdata)
{
	struct mac_set *set = userdata;

	if (!ev->has_mac || set->failed)
		return;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		void *p = realloc(set->macs, cap * MAC_LEN);

		if (p == NULL) {
			set->failed = true;
			return;
		}
		set->macs = p, set->cap = cap;
	}
	memcpy(set->macs[set->n++], ev->mac, MAC_LEN);
}

static int
mac_cmp(const void *a, const void *b)
{
	return memcmp(a, b, MAC_LEN);
}

/* Machines seen booting but not assigned. */
static bool
add_seen_machines(struct server *srv, cJSON *a)
{
	struct mac_set set = {0};
	bool ok = true;

	progress_foreach(srv->progress, collect_mac, &set);
	if (set.n > 0)
		qsort(set.macs, set.n, MAC_LEN, mac_cmp);
	for (size_t i = 0; ok && i < set.n; i++) {
		if ((i > 0 && memcmp(set.macs[i], set.macs[i - 1], MAC_LEN) == 0) ||
		    store_machine_get(srv->store, set.macs[i]) != NULL)
			continue;
		cJSON *m = machine_to_json(srv, set.macs[i], NULL);

		ok = m != NULL && cJSON_AddItemToArray(a, m);
	}
	free(set.macs);
	return ok && !set.failed;
}

static int
cmd_machines(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	size_t n;
	const struct store_machine *list = store_machine_list(srv->store, &n);
	cJSON *a = cJSON_CreateArray();
	bool ok = a != NULL;

	(void)args;
	for (size_t i = 0; ok && i < n; i++) {
		cJSON *m = machine_to_json(srv, list[i].mac, &list[i]);

		ok = m != NULL && cJSON_AddItemToArray(a, m);
	}
	if (!ok || !add_seen_machines(srv, a)) {
		cJSON_Delete(a);
		return oom(err);
	}
	*ret = a;
	return 0;
}

static int
cmd_config_get(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const char *name = control_json_string(args, "name");
	_cleanup_free_ char *content = NULL;
	size_t len;
	cJSON *o;
	int r;

	if ((r = store_config_get(srv->store, name, &content, &len)) < 0)
		return store_fail(err, r, "cloud-config", name);
	o = cJSON_CreateObject();
	if (o == NULL || !cJSON_AddStringToObject(o, "name", name) ||
	    !cJSON_AddStringToObject(o, "content", content)) {
		cJSON_Delete(o);
		return oom(err);
	}
	*ret = o;
	return 0;
}

static int
cmd_config_list(
    struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	_cleanup_free_ struct store_config_info *list = NULL;
	size_t n = 0;
	cJSON *a;
	int r;

	(void)args;
	if ((r = store_config_list(srv->store, &list, &n)) < 0)
		return store_fail(err, r, "cloud-config directory", "configs");
	a = cJSON_CreateArray();
	for (size_t i = 0; a != NULL && i < n; i++) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL || !cJSON_AddItemToArray(a, o) ||
		    !cJSON_AddStringToObject(o, "name", list[i].name) ||
		    !cJSON_AddNumberToObject(o, "size", (double)list[i].size) ||
		    !cJSON_AddBoolToObject(o, "default", list[i].is_default)) {
			cJSON_Delete(a);
			a = NULL;
		}
	}
	if (a == NULL)
		return oom(err);
	*ret = a;
	return 0;
}

/* ---- watch ---- */

struct watch_ctx {
	struct control_client *client;
	const uint8_t *mac; /* NULL: all */
};

static void
watch_send(const struct progress_event *ev, void *userdata)
{
	struct control_client *c = userdata;
	cJSON *data = event_to_json(ev);

	if (data != NULL)
		control_client_send_event(c, "boot", data);
	cJSON_Delete(data);
}

static void
watch_replay(const struct progress_event *ev, void *userdata)
{
	struct watch_ctx *w = userdata;

	if (w->mac == NULL || (ev->has_mac && memcmp(ev->mac, w->mac, MAC_LEN) == 0))
		watch_send(ev, w->client);
}

static struct cmd_state *
client_state(struct control_client *c)
{
	void **slot = control_client_slot(c);

	if (*slot == NULL)
		*slot = calloc(1, sizeof(struct cmd_state));
	return *slot;
}

static int
cmd_watch(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	struct cmd_state *st = client_state(c);
	const char *s = control_json_string(args, "mac");
	uint8_t mac[MAC_LEN];
	struct watch_ctx w = {.client = c, .mac = s != NULL ? mac : NULL};

	(void)ret;
	if (st == NULL)
		return oom(err);
	if (s != NULL && mac_parse(s, mac) < 0)
		return control_fail(err, CONTROL_ERR_BAD_ARGS, "Bad MAC address.");
	progress_foreach(srv->progress, watch_replay, &w);
	if (progress_subscribe(srv->progress, w.mac, watch_send, c, &st->watch) < 0)
		return oom(err);
	return CONTROL_PENDING; /* never answers: events until the client closes */
}

/* ---- state-changing commands ---- */

static void
on_import_progress(
    const char *phase, const char *file, uint64_t done, uint64_t total, void *userdata)
{
	struct control_client *c = userdata;
	cJSON *o = cJSON_CreateObject();

	if (o != NULL && cJSON_AddStringToObject(o, "phase", phase) &&
	    cJSON_AddStringToObject(o, "file", file) &&
	    cJSON_AddNumberToObject(o, "done", (double)done) &&
	    cJSON_AddNumberToObject(o, "total", (double)total))
		control_client_send_event(c, "progress", o);
	cJSON_Delete(o);
}

static enum control_error
import_error_code(int r)
{
	switch (r) {
	case -EACCES:
	case -EPERM:
		return CONTROL_ERR_PERMISSION_DENIED;
	case -ENOENT:
	case -ENOTDIR:
		return CONTROL_ERR_NOT_FOUND;
	case -EEXIST:
		return CONTROL_ERR_EXISTS;
	case -EBUSY:
		return CONTROL_ERR_BUSY;
	case -EINVAL:
	case -EBADMSG:
		return CONTROL_ERR_INVALID;
	default:
		return CONTROL_ERR_IO;
	}
}

static void
on_import_done(int r, const struct manifest *m, const char *error, void *userdata)
{
	struct control_client *c = userdata;
	struct cmd_state *st = client_state(c);
	struct control_status err;
	cJSON *data;

	st->import = NULL;
	if (r < 0) {
		log_warn(NULL, "Adding image \"%s\" failed: %s", st->image,
		    error != NULL ? error : strerror(-r));
		if (r == -EEXIST)
			control_fail(&err, CONTROL_ERR_EXISTS,
			    "Image \"%s\" exists already (use --force to replace it).", st->image);
		else
			control_fail(&err, import_error_code(r), "%s.",
			    error != NULL ? error : strerror(-r));
		control_client_send_error(c, &err);
	} else {
		char sentence[120];

		snprintf(sentence, sizeof(sentence), "Added image \"%s\"", st->image);
		log_change(c, "add-image", NULL, st->image, sentence);
		data = manifest_to_json(m);
		control_client_send_ok(c, data);
		cJSON_Delete(data);
	}
	control_client_request_done(c);
}

static int
cmd_add_image(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const struct control_peer *peer = control_client_peer(c);
	const cJSON *src = cJSON_GetObjectItemCaseSensitive(args, "source");
	const char *type = control_json_string(src, "type"),
	           *name = control_json_string(args, "name");
	struct cmd_state *st = client_state(c);
	int fds[CONTROL_MAX_FDS];
	size_t n_fds = st != NULL ? control_client_take_fds(c, fds, ELEMENTSOF(fds)) : 0;
	struct import_params p = {.name = name,
	    .src_dir = control_json_string(src, "path"),
	    .cmdline = control_json_string(args, "cmdline"),
	    .force = arg_true(args, "force"),
	    .uid = peer->uid,
	    .fds = fds,
	    .n_fds = n_fds};
	int r;

	(void)ret;
	if (st == NULL)
		return oom(err);
	if (n_fds != (size_t)control_source_fds(src)) {
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "The request carried %zu open files, its source needs %d.", n_fds,
		    control_source_fds(src));
	}
	if (strcmp(type, "iso") == 0)
		p.type = MANIFEST_SOURCE_ISO;
	if (strcmp(type, "oci") == 0) {
		p.type = MANIFEST_SOURCE_OCI;
		p.ref = p.src_dir = control_json_string(src, "ref");
		p.platform = control_json_string(src, "platform");
		p.kernel = control_json_string(src, "kernel");
		p.initrd = control_json_string(src, "initrd");
	}
	snprintf(st->image, sizeof(st->image), "%s", name);
	r = import_start(srv, &p, on_import_progress, on_import_done, c, &st->import);
	if (r == -EBUSY)
		return control_fail(
		    err, CONTROL_ERR_BUSY, "Image \"%s\" is being added by another request.", name);
	if (r < 0)
		return store_fail(err, r, "image", name);
	log_info(NULL, "Adding image \"%s\" from \"%s\" for uid %u", name, p.src_dir,
	    (unsigned)peer->uid);
	return CONTROL_PENDING;
}

static int
cmd_remove_image(
    struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const char *name = control_json_string(args, "name");
	size_t dangling = 0;
	int r = store_image_remove(srv->store, name, arg_true(args, "force"), &dangling);

	if (r == -EBUSY)
		return control_fail(err, CONTROL_ERR_IN_USE,
		    "Image \"%s\" is used by %zu machine(s) or as the default; use --force to "
		    "remove it anyway.",
		    name, store_image_users(srv->store, name));
	if (r < 0)
		return store_fail(err, r, "image", name);
	char sentence[120];

	snprintf(sentence, sizeof(sentence), "Removed image \"%s\"", name);
	log_change(c, "remove-image", NULL, name, sentence);
	if (dangling > 0)
		log_notice(NULL, "%zu assignment(s) of image \"%s\" now point to no image",
		    dangling, name);
	*ret = cJSON_CreateObject();
	if (*ret == NULL || !cJSON_AddStringToObject(*ret, "name", name))
		return oom(err);
	return 0;
}

static int
cmd_assign(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const char *mac = control_json_string(args, "mac"),
	           *mode = control_json_string(args, "cmdline_mode");
	struct store_machine m = {.image = (char *)control_json_string(args, "image"),
	    .config = (char *)control_json_string(args, "config"),
	    .cmdline = (char *)control_json_string(args, "cmdline")};
	char sentence[160];
	int r;

	if (mac_parse(mac, m.mac) < 0)
		return control_fail(err, CONTROL_ERR_BAD_ARGS, "Bad MAC address.");
	if (mode != NULL && store_cmdline_mode_parse(mode, &m.cmdline_mode) < 0)
		return control_fail(err, CONTROL_ERR_BAD_ARGS, "Bad cmdline_mode.");
	r = store_machine_set(srv->store, &m);
	if (r == -ENOKEY)
		return store_fail(err, r, "cloud-config", m.config);
	if (r < 0)
		return store_fail(err, r, "image", m.image);
	snprintf(sentence, sizeof(sentence), "Assigned %s to image \"%s\"", mac, m.image);
	log_change(c, "assign", mac, m.image, sentence);
	*ret = machine_to_json(srv, m.mac, store_machine_get(srv->store, m.mac));
	return *ret != NULL ? 0 : oom(err);
}

static int
cmd_unassign(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const char *mac = control_json_string(args, "mac");
	uint8_t m[MAC_LEN];
	char sentence[80];
	int r;

	if (mac_parse(mac, m) < 0)
		return control_fail(err, CONTROL_ERR_BAD_ARGS, "Bad MAC address.");
	if ((r = store_machine_remove(srv->store, m)) < 0)
		return store_fail(err, r, "machine", mac);
	snprintf(sentence, sizeof(sentence), "Unassigned %s", mac);
	log_change(c, "unassign", mac, NULL, sentence);
	*ret = cJSON_CreateObject();
	if (*ret == NULL || !cJSON_AddStringToObject(*ret, "mac", mac))
		return oom(err);
	return 0;
}

static int
cmd_config_set(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const char *name = control_json_string(args, "name"),
	           *content = control_json_string(args, "content");
	_cleanup_free_ char *why = NULL;
	size_t len = strlen(content);
	char sentence[120];
	int r = store_config_set(srv->store, name, content, len, &why);

	if (r == -EINVAL)
		return control_fail(err, CONTROL_ERR_INVALID,
		    "Cloud-config \"%s\" is not valid: %s", name, why != NULL ? why : "rejected");
	if (r < 0)
		return store_fail(err, r, "cloud-config", name);
	snprintf(sentence, sizeof(sentence), "Stored cloud-config \"%s\" (%zu bytes)", name, len);
	log_change(c, "config-set", NULL, NULL, sentence);
	*ret = cJSON_CreateObject();
	if (*ret == NULL || !cJSON_AddStringToObject(*ret, "name", name) ||
	    !cJSON_AddNumberToObject(*ret, "size", (double)len))
		return oom(err);
	return 0;
}

static int
cmd_config_default(
    struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const char *name = control_json_string(args, "name"); /* NULL: cleared */
	char sentence[120];
	int r = store_set_default_config(srv->store, name);

	if (r == -ENOENT)
		return control_fail(
		    err, CONTROL_ERR_NOT_FOUND, "no such cloud-config \"%s\".", name);
	if (r < 0)
		return store_fail(err, r, "cloud-config", name != NULL ? name : "(none)");
	snprintf(sentence, sizeof(sentence), "Default cloud-config set to %s%s%s", name ? "\"" : "",
	    name ? name : "none", name ? "\"" : "");
	log_change(c, "config-default", NULL, NULL, sentence);
	*ret = cJSON_CreateObject();
	if (*ret == NULL || !cJSON_AddItemToObject(*ret, "name", json_str_or_null(name)))
		return oom(err);
	return 0;
}

static int
cmd_default_boot(
    struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	bool on = arg_true(args, "enabled");
	int r = store_set_default_boot(srv->store, on);

	if (r < 0)
		return store_fail(err, r, "setting", "default_boot");
	log_change(c, "default-boot", NULL, NULL,
	    on ? "Unknown machines boot the default image" : "Unknown machines get no boot script");
	*ret = cJSON_CreateObject();
	if (*ret == NULL || !cJSON_AddBoolToObject(*ret, "enabled", on))
		return oom(err);
	return 0;
}

static const control_handler_fn handlers[_CONTROL_CMD_MAX] = {
    [CONTROL_CMD_STATUS] = cmd_status,
    [CONTROL_CMD_IMAGES] = cmd_images,
    [CONTROL_CMD_ADD_IMAGE] = cmd_add_image,
    [CONTROL_CMD_REMOVE_IMAGE] = cmd_remove_image,
    [CONTROL_CMD_MACHINES] = cmd_machines,
    [CONTROL_CMD_ASSIGN] = cmd_assign,
    [CONTROL_CMD_UNASSIGN] = cmd_unassign,
    [CONTROL_CMD_CONFIG_SET] = cmd_config_set,
    [CONTROL_CMD_CONFIG_GET] = cmd_config_get,
    [CONTROL_CMD_CONFIG_LIST] = cmd_config_list,
    [CONTROL_CMD_CONFIG_DEFAULT] = cmd_config_default,
    [CONTROL_CMD_DEFAULT_BOOT] = cmd_default_boot,
    [CONTROL_CMD_WATCH] = cmd_watch,
};

control_handler_fn
control_cmd_handler(enum control_command cmd)
{
	return handlers[cmd];
}

void
control_cmd_client_gone(struct control_client *c)
{
	struct cmd_state *st = *control_client_slot(c);

	if (st == NULL)
		return;
	progress_unsubscribe(st->watch);
	if (st->import != NULL) {
		log_info(NULL, "The client adding image \"%s\" went away, cancelling", st->image);
		import_cancel(st->import);
	}
	free(st);
	*control_client_slot(c) = NULL;
}
