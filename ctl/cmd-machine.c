/* machines, assign, unassign: parsing and rendering. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl-args.h"
#include "ctl-format.h"
#include "ctl-table.h"
#include "ctl.h"

static int
parse_assign(int argc, char **argv, cJSON *args)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'C'},
	    {"cmdline", required_argument, NULL, 'r'},
	    {"append-cmdline", required_argument, NULL, 'a'}, {NULL, 0, NULL, 0}};
	const char *config = NULL, *cmdline = NULL, *mode = "append";
	int c, n_cmdline = 0;

	while ((c = ctl_args_opt_next(argc, argv, opts)) != -1) {
		if (c < 0)
			return c;
		if (c == 'C')
			config = optarg;
		else {
			cmdline = optarg;
			mode = c == 'r' ? "replace" : "append";
			n_cmdline++;
		}
	}
	if (n_cmdline > 1) {
		ctl_error("assign: give at most one of --cmdline and --append-cmdline");
		return -EINVAL;
	}
	if (ctl_args_positionals(argc, argv, 2, 2) < 0 ||
	    ctl_args_add_mac(args, "mac", "assign", argv[optind]) < 0)
		return -EINVAL;
	if (!cJSON_AddStringToObject(args, "image", argv[optind + 1]) ||
	    (config != NULL && !cJSON_AddStringToObject(args, "config", config)) ||
	    (cmdline != NULL && !cJSON_AddStringToObject(args, "cmdline", cmdline)) ||
	    !cJSON_AddStringToObject(args, "cmdline_mode", mode))
		return -ENOMEM;
	return 0;
}

static int
parse_unassign(int argc, char **argv, cJSON *args)
{
	if (ctl_args_no_options(argc, argv) < 0 || ctl_args_positionals(argc, argv, 1, 1) < 0)
		return -EINVAL;
	return ctl_args_add_mac(args, "mac", "unassign", argv[optind]);
}

static int
parse_reinstall(int argc, char **argv, cJSON *args)
{
	static const struct option opts[] = {
	    {"group", required_argument, NULL, 'g'}, {NULL, 0, NULL, 0}};
	const char *group = NULL;
	int c;

	while ((c = ctl_args_opt_next(argc, argv, opts)) != -1) {
		if (c < 0)
			return c;
		group = optarg;
	}
	if (ctl_args_positionals(argc, argv, group != NULL ? 0 : 1, group != NULL ? 0 : 1) < 0)
		return -EINVAL;
	if (group != NULL)
		return cJSON_AddStringToObject(args, "group", group) != NULL ? 0 : -ENOMEM;
	return ctl_args_add_mac(args, "mac", "reinstall", argv[optind]);
}

static void
render_reinstall(const cJSON *args, const cJSON *data)
{
	const cJSON *m;

	if (cJSON_GetArraySize(data) == 0)
		printf("no machine booted through group %s\n",
		    ctl_format_dash(control_json_string(args, "group")));
	cJSON_ArrayForEach(m, data)
	    printf("%s: back to new, it netboots its image again at its next boot\n",
	        cJSON_IsString(m) ? m->valuestring : "-");
}

/* The lifecycle state ("-" from a daemon without lifecycles). */
static void
format_state(const cJSON *m, char *buf, size_t size)
{
	const cJSON *lc = cJSON_GetObjectItemCaseSensitive(m, "lifecycle");
	const char *state = control_json_string(lc, "state");

	snprintf(buf, size, "%s", state != NULL ? state : "-");
}

static void
format_last_event(const cJSON *m, char *buf, size_t size)
{
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(m, "last_event");
	char when[32];

	if (!cJSON_IsObject(ev)) {
		snprintf(buf, size, "-");
		return;
	}
	const char *inst = control_json_string(ev, "instance");

	ctl_format_time(ctl_format_num(ev, "time") / 1000, when);
	snprintf(buf, size, "%s %s%s%s", ctl_format_dash(control_json_string(ev, "kind")), when,
	    inst != NULL ? " on " : "", inst != NULL ? inst : "");
}

/*
 * Its assigned image, else the one it boots now and why: "kairos (default)",
 * "kairos (profile)", "kairos (group lab)"; "-" when it boots none.
 */
static void
format_image(const cJSON *m, char *buf, size_t size)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(m, "boot");
	const char *image = control_json_string(m, "image"),
	           *boots = control_json_string(b, "image"), *from = control_json_string(b, "from"),
	           *group = control_json_string(b, "group");

	if (image != NULL || boots == NULL)
		snprintf(buf, size, "%s", ctl_format_dash(image));
	else if (from != NULL && strcmp(from, "group") == 0 && group != NULL)
		snprintf(buf, size, "%s (group %s)", boots, group);
	else if (from != NULL && strcmp(from, "assigned") != 0)
		snprintf(buf, size, "%s (%s)", boots, from);
	else
		snprintf(buf, size, "%s", boots);
}

static void
render_machines(const cJSON *args, const cJSON *data)
{
	struct ctl_table t = {.ncols = 8};
	const cJSON *m;

	if (cJSON_GetArraySize(data) == 0) {
		puts("no machines");
		return;
	}
	ctl_table_add(
	    &t, "MAC", "STATE", "PROFILE", "IMAGE", "CONFIG", "CMDLINE", "LABELS", "LAST EVENT");
	cJSON_ArrayForEach(m, data)
	{
		char cmdline[CONTROL_MAX_CMDLINE + 32], last[128], state[32];
		char image[2 * CONTROL_NAME_MAX + 16];
		char labels[CONTROL_MAX_LABELS * (2 * CONTROL_MAX_LABEL + 2)];

		ctl_format_cmdline(m, cmdline, sizeof(cmdline));
		ctl_format_labels(
		    cJSON_GetObjectItemCaseSensitive(m, "labels"), "", labels, sizeof(labels));
		format_last_event(m, last, sizeof(last));
		format_state(m, state, sizeof(state));
		format_image(m, image, sizeof(image));
		ctl_table_add(&t, control_json_string(m, "mac"), state,
		    control_json_string(m, "profile"), image, control_json_string(m, "config"),
		    cmdline, labels, last);
	}
	ctl_table_print_free(&t);
}

static void
render_assign(const cJSON *args, const cJSON *data)
{
	char cmdline[CONTROL_MAX_CMDLINE + 32];

	printf("assigned %s to image %s", ctl_format_dash(control_json_string(data, "mac")),
	    ctl_format_dash(control_json_string(data, "image")));
	if (control_json_string(data, "config") != NULL)
		printf(", config %s", control_json_string(data, "config"));
	if (control_json_string(data, "cmdline") != NULL) {
		ctl_format_cmdline(data, cmdline, sizeof(cmdline));
		printf(", cmdline %s", cmdline);
	}
	putchar('\n');
}

static void
render_unassign(const cJSON *args, const cJSON *data)
{
	printf("unassigned %s\n", ctl_format_dash(control_json_string(data, "mac")));
}

const struct ctl_command cmd_machine_commands[] = {
    {"machines", ctl_args_none, render_machines},
    {"assign", parse_assign, render_assign},
    {"unassign", parse_unassign, render_unassign},
    {"reinstall", parse_reinstall, render_reinstall},
    {NULL, NULL, NULL},
};
