/* watch: parsing, and the rendering of its boot events. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ctl-args.h"
#include "ctl-format.h"
#include "ctl.h"

static int
parse_watch(int argc, char **argv, cJSON *args)
{
	int n;

	if (ctl_args_no_options(argc, argv) < 0)
		return -EINVAL;
	n = ctl_args_positionals(argc, argv, 0, 1);
	if (n <= 0)
		return n;
	return ctl_args_add_mac(args, "mac", "watch", argv[optind]);
}

static void
print_value(const cJSON *v)
{
	if (cJSON_IsString(v))
		printf(strpbrk(v->valuestring, " \t\"=") != NULL ? "\"%s\"" : "%s", v->valuestring);
	else if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble))
		printf("%.0f", v->valuedouble);
	else {
		char *s = cJSON_PrintUnformatted(v);

		fputs(s != NULL ? s : "?", stdout);
		cJSON_free(s);
	}
}

/* "2024-05-01 12:00:00 52:54:00:12:34:56 kernel bytes=123 image=kairos" */
void
cmd_watch_render_event(const cJSON *data)
{
	const cJSON *v;
	char when[32];

	ctl_format_time(ctl_format_num(data, "time") / 1000, when);
	printf("%s %s %s", when, ctl_format_dash(control_json_string(data, "mac")),
	    ctl_format_dash(control_json_string(data, "kind")));
	cJSON_ArrayForEach(v, data)
	{
		if (strcmp(v->string, "time") == 0 || strcmp(v->string, "mac") == 0 ||
		    strcmp(v->string, "kind") == 0)
			continue;
		printf(" %s=", v->string);
		print_value(v);
	}
	putchar('\n');
	fflush(stdout);
}

const struct ctl_command cmd_watch_commands[] = {
    {"watch", parse_watch, NULL},
    {NULL, NULL, NULL},
};
