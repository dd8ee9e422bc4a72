/* status: parsing and rendering. */
#include <stdio.h>

#include "ctl-args.h"
#include "ctl-format.h"
#include "ctl.h"

static void
print_count(const char *label, const cJSON *data, const char *key)
{
	printf("%-18s%.0f\n", label, ctl_format_num(data, key));
}

/* "3 (2 in the fleet, 1 seen)": those `machines` lists, and of them those with an entry. */
static void
print_machines(const cJSON *data)
{
	double all = ctl_format_num(data, "machines"),
	       fleet = ctl_format_num(data, "machines_fleet");

	printf("%-18s%.0f", "machines:", all);
	if (fleet >= 0 && fleet <= all) /* a daemon before machines_fleet: the count alone */
		printf(" (%.0f in the fleet, %.0f seen)", fleet, all - fleet);
	putchar('\n');
}

/* The store: local, or a shared store's state and the instances it knows. */
static void
render_store(const cJSON *data)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(data, "cluster");
	const cJSON *inst = cJSON_GetObjectItemCaseSensitive(c, "instances"), *i;
	const char *waiting = control_json_string(c, "waiting_for_image");

	if (c == NULL) {
		if (control_json_string(data, "store") != NULL)
			printf("%-18s%s\n", "store:", control_json_string(data, "store"));
		return;
	}
	printf("%-18setcd, %s, %s at revision %.0f\n",
	    "store:", ctl_format_dash(control_json_string(c, "etcd")),
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "synchronised")) ? "synchronised"
	                                                                      : "not synchronised",
	    ctl_format_num(c, "revision"));
	printf("%-18s%s\n", "instance:", ctl_format_dash(control_json_string(c, "instance")));
	if (waiting != NULL)
		printf("%-18s%s\n", "waiting for image:", waiting);
	cJSON_ArrayForEach(i, inst)
	    printf("%-18s%s %s\n", "peer:", ctl_format_dash(control_json_string(i, "instance")),
	        ctl_format_dash(control_json_string(i, "advertise")));
}

static void
render_status(const cJSON *args, const cJSON *data)
{
	char up[48];

	ctl_format_duration(ctl_format_num(data, "uptime_s"), up);
	printf("%-18s%s\n", "version:", ctl_format_dash(control_json_string(data, "version")));
	printf("%-18s%s\n", "uptime:", up);
	print_count("images:", data, "images");
	print_machines(data);
	print_count("configs:", data, "configs");
	printf(
	    "%-18s%s\n", "default image:", control_json_string(data, "default_image") ?: "(none)");
	printf("%-18s%s\n",
	    "default config:", control_json_string(data, "default_config") ?: "(built-in)");
	printf("%-18s%s\n", "default boot:",
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "default_boot")) ? "on" : "off");
	print_count("tftp sessions:", data, "tftp_sessions");
	print_count("http connections:", data, "http_connections");
	render_store(data);
}

const struct ctl_command cmd_status_commands[] = {
    {"status", ctl_args_none, render_status},
    {NULL, NULL, NULL},
};
