/* explain: parsing, and the decision as a person reads it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl-args.h"
#include "ctl-format.h"
#include "ctl-table.h"
#include "ctl.h"

static int
parse_explain(int argc, char **argv, cJSON *args)
{
	static const struct option opts[] = {{"arch", required_argument, NULL, 'a'},
	    {"uuid", required_argument, NULL, 'u'}, {"interface", required_argument, NULL, 'i'},
	    {NULL, 0, NULL, 0}};
	static const char *const keys[] = {"arch", "uuid", "interface"};
	const char *values[3] = {NULL, NULL, NULL};
	int c;

	while ((c = ctl_args_opt_next(argc, argv, opts)) != -1) {
		if (c < 0)
			return c;
		values[c == 'a' ? 0 : c == 'u' ? 1 : 2] = optarg;
	}
	if (ctl_args_positionals(argc, argv, 1, 1) < 0 ||
	    ctl_args_add_mac(args, "mac", "explain", argv[optind]) < 0)
		return -EINVAL;
	for (size_t i = 0; i < 3; i++)
		if (values[i] != NULL && !cJSON_AddStringToObject(args, keys[i], values[i]))
			return -ENOMEM;
	return 0;
}

static const char *
str(const cJSON *o, const char *key)
{
	return control_json_string(o, key);
}

static void
render_entry(const cJSON *data)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(data, "machine"), *l;
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(m, "labels");
	bool known = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "known"));

	printf("machine %s (arch %s, uuid %s): %s", ctl_format_dash(str(data, "mac")),
	    ctl_format_dash(str(data, "arch")), ctl_format_dash(str(data, "uuid")),
	    known ? "has an entry" : "no entry");
	if (str(m, "profile") != NULL)
		printf(", profile %s", str(m, "profile"));
	if (str(m, "image") != NULL)
		printf(", assigned to image %s", str(m, "image"));
	cJSON_ArrayForEach(l, labels) printf("%s%s=%s", l == labels->child ? ", labels " : ",",
	    l->string, cJSON_IsString(l) ? l->valuestring : "");
	putchar('\n');
}

static void
render_groups(const cJSON *data)
{
	const cJSON *groups = cJSON_GetObjectItemCaseSensitive(data, "groups"), *g;
	struct ctl_table t = {.ncols = 4};

	if (cJSON_GetArraySize(groups) == 0) {
		puts("groups: none");
		return;
	}
	puts("groups:");
	ctl_table_add(&t, "  GROUP", "SELECTORS", "PRIORITY", "VERDICT");
	cJSON_ArrayForEach(g, groups)
	{
		char name[80], spec[16], prio[16], verdict[160];

		snprintf(name, sizeof(name), "  %s", ctl_format_dash(str(g, "name")));
		snprintf(spec, sizeof(spec), "%.0f", ctl_format_num(g, "specificity"));
		snprintf(prio, sizeof(prio), "%.0f", ctl_format_num(g, "priority"));
		snprintf(verdict, sizeof(verdict), "%s%s%s", ctl_format_dash(str(g, "verdict")),
		    str(g, "selector") != NULL ? ": " : "",
		    str(g, "selector") != NULL ? str(g, "selector") : "");
		ctl_table_add(&t, name, spec, prio, verdict);
	}
	ctl_table_print_free(&t);
}

static void
render_plan(const cJSON *data)
{
	static const struct {
		const char *label, *key;
	} rows[] = {{"action", "action"}, {"why", "reason"}, {"profile", "profile"},
	    {"group", "group"}, {"image", "image"}, {"missing image", "missing"},
	    {"firmware", "firmware"}, {"loader", "loader"}, {"loader kind", "loader_kind"},
	    {"grub config", "grub_config"}, {"site DHCP", "site_dhcp"},
	    {"kernel key", "kernel_signature"}, {"script", "script_url"}, {"efi", "efi"},
	    {"kernel", "kernel"}, {"initrd", "initrd"}, {"squashfs", "squashfs"},
	    {"cmdline", "cmdline"}, {"netconsole", "netconsole"}, {"lifecycle", "lifecycle"},
	    {"cloud-config", "cloud_config"}};
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(data, "plan");

	puts("plan:");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (str(p, rows[i].key) != NULL)
			printf("  %-14s%s\n", rows[i].label, str(p, rows[i].key));
}

static void
render_explain(const cJSON *args, const cJSON *data)
{
	render_entry(data);
	render_groups(data);
	render_plan(data);
}

const struct ctl_command cmd_explain_commands[] = {
    {"explain", parse_explain, render_explain},
    {NULL, NULL, NULL},
};
