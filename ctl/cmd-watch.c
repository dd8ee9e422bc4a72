/* watch: parsing, and the rendering of its boot events. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
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

/* A string as is, or quoted when it has a space, '"', '=' or '\\'; control characters as \xNN. */
static void
print_string(const char *s)
{
	bool quote = false;

	for (const char *c = s; *c != '\0'; c++)
		quote =
		    quote || strchr(" \"=\\", *c) != NULL || (unsigned char)*c < 0x20 || *c == 0x7f;
	if (!quote) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (const char *c = s; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			printf("\\x%02x", (unsigned char)*c);
		else if (*c == '"' || *c == '\\')
			printf("\\%c", *c);
		else
			putchar(*c);
	}
	putchar('"');
}

static void
print_value(const cJSON *v)
{
	if (cJSON_IsString(v))
		print_string(v->valuestring);
	else if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble))
		printf("%.0f", v->valuedouble);
	else {
		char *s = cJSON_PrintUnformatted(v);

		fputs(s != NULL ? s : "?", stdout);
		cJSON_free(s);
	}
}

/* What an event's detail names, by its kind: "image" for a kernel download. */
static const char *
detail_key(const char *kind)
{
	static const char *const keys[][2] = {
	    {"offer", "file"},
	    {"loader", "file"},
	    {"file", "file"},
	    {"script", "image"},
	    {"kernel", "image"},
	    {"initrd", "image"},
	    {"rootfs", "image"},
	    {"config", "config"},
	    {"state", "state"},
	};

	for (size_t i = 0; kind != NULL && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i][0], kind) == 0)
			return keys[i][1];
	return "detail";
}

static bool
known_member(const char *key)
{
	static const char *const known[] = {
	    "time", "mac", "kind", "detail", "client", "bytes", "total", "complete", "instance"};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i], key) == 0)
			return true;
	return false;
}

static void
print_member(const char *key, const cJSON *v)
{
	if (v == NULL || cJSON_IsNull(v) || (cJSON_IsString(v) && v->valuestring[0] == '\0'))
		return;
	printf(" %s=", key);
	print_value(v);
}

/*
 * "2024-05-01 12:00:02 52:54:00:12:34:56 kernel image=kairos client=10.0.0.5
 * bytes=12345678 total=12345678 complete=yes": what is unknown is not printed,
 * the transfer's numbers only for the kinds that send something (and not
 * both 0: GRUB's configurations are recorded without their size).
 */
void
cmd_watch_render_event(const cJSON *data)
{
	const char *kind = control_json_string(data, "kind");
	const cJSON *v, *complete = cJSON_GetObjectItemCaseSensitive(data, "complete");
	bool transfer = kind != NULL && strcmp(kind, "offer") != 0 && strcmp(kind, "state") != 0;
	char when[32];

	ctl_format_time(ctl_format_num(data, "time") / 1000, when);
	printf("%s %s %s", when, ctl_format_dash(control_json_string(data, "mac")),
	    ctl_format_dash(kind));
	print_member(detail_key(kind), cJSON_GetObjectItemCaseSensitive(data, "detail"));
	print_member("client", cJSON_GetObjectItemCaseSensitive(data, "client"));
	if (transfer) {
		if (ctl_format_num(data, "bytes") > 0 || ctl_format_num(data, "total") > 0) {
			print_member("bytes", cJSON_GetObjectItemCaseSensitive(data, "bytes"));
			print_member("total", cJSON_GetObjectItemCaseSensitive(data, "total"));
		}
		if (cJSON_IsBool(complete))
			printf(" complete=%s", cJSON_IsTrue(complete) ? "yes" : "no");
	}
	print_member("instance", cJSON_GetObjectItemCaseSensitive(data, "instance"));
	cJSON_ArrayForEach(v, data) /* members of a newer daemon */
	{
		if (v->string != NULL && !known_member(v->string))
			print_member(v->string, v);
	}
	putchar('\n');
	fflush(stdout);
}

const struct ctl_command cmd_watch_commands[] = {
    {"watch", parse_watch, NULL},
    {NULL, NULL, NULL},
};
