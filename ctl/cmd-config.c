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

/* Read a cloud-config file (or stdin for "-") up to CONTROL_MAX_CONFIG bytes. */
static int
read_config(const char *path, char **ret)
{
	_cleanup_fclose_ FILE *owned = NULL;
	_cleanup_free_ char *buf = malloc(CONTROL_MAX_CONFIG + 2);
	FILE *f = stdin;
	size_t n;

	if (buf == NULL)
		return -ENOMEM;
	if (strcmp(path, "-") != 0 && (f = owned = fopen(path, "re")) == NULL) {
		ctl_error("config set: %s: %s", path, strerror(errno));
		return -EINVAL;
	}
	n = fread(buf, 1, CONTROL_MAX_CONFIG + 1, f);
	if (ferror(f)) {
		ctl_error("config set: %s: %s", path, strerror(errno ? errno : EIO));
		return -EINVAL;
	}
	if (n > CONTROL_MAX_CONFIG) {
		ctl_error("config set: %s: a cloud-config is at most %d KiB", path,
		    CONTROL_MAX_CONFIG / 1024);
		return -EINVAL;
	}
	if (!control_utf8_valid(buf, n)) {
		ctl_error("config set: %s: not UTF-8 text (or contains NUL bytes)", path);
		return -EINVAL;
	}
	buf[n] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

static int
parse_config_set(int argc, char **argv, cJSON *args)
{
	_cleanup_free_ char *content = NULL;

	if (ctl_args_no_options(argc, argv) < 0 || ctl_args_positionals(argc, argv, 2, 2) < 0)
		return -EINVAL;
	if (read_config(argv[optind + 1], &content) < 0)
		return -EINVAL;
	if (!cJSON_AddStringToObject(args, "name", argv[optind]) ||
	    !cJSON_AddStringToObject(args, "content", content))
		return -ENOMEM;
	return 0;
}

static int
parse_name(int argc, char **argv, cJSON *args)
{
	if (ctl_args_no_options(argc, argv) < 0 || ctl_args_positionals(argc, argv, 1, 1) < 0)
		return -EINVAL;
	return cJSON_AddStringToObject(args, "name", argv[optind]) ? 0 : -ENOMEM;
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
    {"config-get", parse_name, render_config_get},
    {"config-list", ctl_args_none, render_config_list},
    {"config-default", parse_config_default, render_config_default},
    {NULL, NULL, NULL},
};
