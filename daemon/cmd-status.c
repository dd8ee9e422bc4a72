/* status: the daemon's version, uptime, counts, defaults and gauges. */
#include <time.h>

#include "boot-view.h"
#include "cmd.h"
#include "stats.h"
#include "store.h"
#include "util.h"

#ifndef NETBOOTD_VERSION
#define NETBOOTD_VERSION "0"
#endif

static int
cmd_status(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const struct store_settings *set = store_settings(srv->store);
	_cleanup_free_ char *def = NULL;
	enum boot_reason why;
	struct boot_view view;
	struct stats_state st;
	size_t fleet, seen;
	cJSON *o = cJSON_CreateObject();

	(void)args;
	stats_state(srv, &st);
	if (cmd_machines_count(srv, &fleet, &seen) < 0) {
		cJSON_Delete(o);
		return cmd_oom(err);
	}
	boot_view_init(srv, &view);
	(void)boot_default_image(&view, &def, &why); /* the one the boot decision uses */
	if (o == NULL || !cJSON_AddStringToObject(o, "version", NETBOOTD_VERSION) ||
	    !cJSON_AddNumberToObject(o, "uptime_s", (double)(time(NULL) - srv->started)) ||
	    !cJSON_AddNumberToObject(o, "images", (double)st.images) ||
	    !cJSON_AddNumberToObject(o, "machines", (double)(fleet + seen)) || /* as `machines` */
	    !cJSON_AddNumberToObject(o, "machines_fleet", (double)fleet) ||
	    !cJSON_AddNumberToObject(o, "configs", (double)st.configs) ||
	    !cJSON_AddItemToObject(o, "default_image", cmd_json_str_or_null(def)) ||
	    !cJSON_AddItemToObject(
	        o, "default_config", cmd_json_str_or_null(set->default_config)) ||
	    !cJSON_AddBoolToObject(o, "default_boot", set->default_boot) ||
	    !cJSON_AddNumberToObject(o, "tftp_sessions", srv->stats.tftp.active) ||
	    !cJSON_AddNumberToObject(o, "http_connections", srv->stats.http.active)) {
		cJSON_Delete(o);
		return cmd_oom(err);
	}
	cJSON *shared = store_status_json(srv->store);

	cJSON_AddStringToObject(o, "store", store_backend_name(srv->store));
	if (shared != NULL)
		cJSON_AddItemToObject(o, "cluster", shared);
	*ret = o;
	return 0;
}

const struct cmd_handler cmd_status_handlers[] = {
    {"status", cmd_status},
    {NULL, NULL},
};
