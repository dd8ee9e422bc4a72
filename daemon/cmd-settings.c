/* default-boot: the store's settings. */
#include "cmd.h"
#include "store.h"

static int
cmd_default_boot(
    struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	bool on = cmd_arg_true(args, "enabled");
	int r = store_set_default_boot(srv->store, on);

	if (r < 0)
		return cmd_store_fail(err, r, "setting", "default_boot");
	cmd_log_change(c, "default-boot", NULL, NULL,
	    on ? "Unknown machines boot the default image" : "Unknown machines get no boot script");
	*ret = cJSON_CreateObject();
	if (*ret == NULL || !cJSON_AddBoolToObject(*ret, "enabled", on))
		return cmd_oom(err);
	return 0;
}

const struct cmd_handler cmd_settings_handlers[] = {
    {"default-boot", cmd_default_boot},
    {NULL, NULL},
};
