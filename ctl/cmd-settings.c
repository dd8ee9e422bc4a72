/* default-boot: parsing and rendering. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl-args.h"
#include "ctl.h"

static int
parse_default_boot(int argc, char **argv, cJSON *args)
{
	const char *v;

	if (ctl_args_no_options(argc, argv) < 0 || ctl_args_positionals(argc, argv, 1, 1) < 0)
		return -EINVAL;
	v = argv[optind];
	if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
		ctl_error("default-boot: say \"on\" or \"off\", not \"%s\"", v);
		return -EINVAL;
	}
	return cJSON_AddBoolToObject(args, "enabled", strcmp(v, "on") == 0) ? 0 : -ENOMEM;
}

static void
render_default_boot(const cJSON *args, const cJSON *data)
{
	bool on = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "enabled"));

	printf("default boot: %s\n", on ? "on" : "off");
}

const struct ctl_command cmd_settings_commands[] = {
    {"default-boot", parse_default_boot, render_default_boot},
    {NULL, NULL, NULL},
};
