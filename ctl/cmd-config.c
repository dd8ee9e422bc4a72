/* config set, get, list, default: parsing and rendering. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-args.h"
#include "ctl-format.h"
#include "ctl-table.h"
#include "ctl.h"
#include "util.h"

static int
parse_config_set(int argc, char **argv, cJSON *args)
{
	_cleanup_free_ char *content = NULL;
	size_t len;
	int r;

	if (ctl_args_no_options(argc, argv) < 0 || ctl_args_positionals(argc, argv, 2, 2) < 0)
		return -EINVAL;
	if ((r = ctl_args_read_file("config set", "a cloud-config", argv[optind + 1],
	         CONTROL_MAX_CONFIG, &content, &len)) < 0)
		return r;
	if (!cJSON_AddStringToObject(args, "name", argv[optind]) ||
	    !cJSON_AddStringToObject(args, "content", content))
		return -ENOMEM;
	return 0;
}

static int
parse_config_default(int argc, char **argv, cJSON *args)
{
	static const struct option opts[] = {{"none", no_argument, NULL, 'n'}, {NULL, 0, NULL, 0}};
	bool none = false;
	int c, n;

	while ((c = ctl_args_opt_next(argc, argv, opts)) != -1) {
		if (c < 0)
			return c;
		none = true;
	}
	n = ctl_args_positionals(argc, argv, 0, 1);
	if (n < 0)
		return n;
	if ((n == 1) == none) {
		ctl_error("config default: give either NAME or --none");
		return -EINVAL;
	}
	if (none)
		return cJSON_AddNullToObject(args, "name") ? 0 : -ENOMEM;
	return cJSON_AddStringToObject(args, "name", argv[optind]) ? 0 : -ENOMEM;
}

static void
render_config_set(const cJSON *args, const cJSON *data)
{
	printf("stored config %s (%.0f bytes)\n",
	    ctl_format_dash(control_json_string(data, "name")),
	    fmax(ctl_format_num(data, "size"), 0));
}

static void
render_config_get(const cJSON *args, const cJSON *data)
{
	const char *content = control_json_string(data, "content");

	if (content != NULL)
		fputs(content, stdout);
}

static void
render_config_list(const cJSON *args, const cJSON *data)
{
	struct ctl_table t = {.ncols = 3};
	const cJSON *c;

	if (cJSON_GetArraySize(data) == 0) {
		puts("no configs");
		return;
	}
	ctl_table_add(&t, "NAME", "SIZE", "DEFAULT");
	cJSON_ArrayForEach(c, data)
	{
		char size[32];
		bool def = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "default"));

		snprintf(size, sizeof(size), "%.0f", fmax(ctl_format_num(c, "size"), 0));
		ctl_table_add(&t, control_json_string(c, "name"), size, def ? "yes" : "");
	}
	ctl_table_print_free(&t);
}

static void
render_config_default(const cJSON *args, const cJSON *data)
{
	printf("default config: %s\n", control_json_string(data, "name") ?: "none (built-in)");
}

const struct ctl_command cmd_config_commands[] = {
    {"config-set", parse_config_set, render_config_set},
    {"config-get", ctl_args_name, render_config_get},
    {"config-list", ctl_args_none, render_config_list},
    {"config-default", parse_config_default, render_config_default},
    {NULL, NULL, NULL},
};
