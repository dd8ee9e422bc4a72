/* logs: parsing (with --since's forms of time), and the rendering of the lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl-args.h"
#include "ctl-format.h"
#include "ctl.h"
#include "syslog-msg.h"

#define SINCE_MAX_S 9007199254740LL /* seconds that stay exact as milliseconds in JSON */

/* "30s", "10m", "2h", "1d" ago; "@SECONDS"; an RFC 3339 time.  Milliseconds, or -EINVAL. */
static int
parse_since(const char *s, int64_t *ret_ms)
{
	static const struct {
		char unit;
		int64_t seconds;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	char *end = NULL;
	long long n;

	if (syslog_time_parse(s, strlen(s), ret_ms) == 0)
		return 0;
	if (s[0] < '0' && s[0] != '@')
		return -EINVAL;
	errno = 0;
	n = strtoll(s[0] == '@' ? s + 1 : s, &end, 10);
	if (errno != 0 || end == s || n < 0 || n > SINCE_MAX_S || (s[0] == '@' && s[1] == '\0'))
		return -EINVAL;
	if (s[0] == '@' && *end == '\0') {
		*ret_ms = n * 1000;
		return 0;
	}
	for (size_t i = 0; s[0] != '@' && i < sizeof(units) / sizeof(units[0]); i++)
		if (end[0] == units[i].unit && end[1] == '\0' &&
		    n <= SINCE_MAX_S / units[i].seconds) {
			int64_t t = (int64_t)time(NULL) - n * units[i].seconds;

			*ret_ms = (t > 0 ? t : 0) * 1000;
			return 0;
		}
	return -EINVAL;
}

static int
add_since(cJSON *args, const char *s)
{
	int64_t ms;

	if (parse_since(s, &ms) < 0) {
		ctl_error("logs: --since \"%s\": not a time (30s, 10m, 2h, 1d ago, @SECONDS, or "
		          "2026-12-02T03:00:00Z)",
		    s);
		return -EINVAL;
	}
	return cJSON_AddNumberToObject(args, "since", (double)ms) != NULL ? 0 : -ENOMEM;
}

static int
parse_logs(int argc, char **argv, cJSON *args)
{
	static const struct option opts[] = {{"follow", no_argument, NULL, 'f'},
	    {"since", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	int c, r;

	while ((c = ctl_args_getopt(argc, argv, "fj", opts)) != -1) {
		if (c < 0)
			return c;
		if (c == 's' && (r = add_since(args, optarg)) < 0)
			return r;
		/* --json: taken out of args again by netbootctl.c, as the global option */
		if ((c == 'f' && !cJSON_AddTrueToObject(args, "follow")) ||
		    (c == 'j' && !cJSON_AddTrueToObject(args, "json")))
			return -ENOMEM;
	}
	if (ctl_args_positionals(argc, argv, 1, 1) < 0)
		return -EINVAL;
	return ctl_args_add_mac(args, "mac", "logs", argv[optind]);
}

/* "2026-12-02 03:31:31 52:54:00:12:34:56 notice node1 root[42]: hello" */
void
cmd_logs_render_line(const cJSON *data)
{
	const char *app = control_json_string(data, "app"),
	           *pid = control_json_string(data, "procid");
	char when[32];

	ctl_format_time(ctl_format_num(data, "time") / 1000, when);
	printf("%s %s %s %s ", when, ctl_format_dash(control_json_string(data, "mac")),
	    ctl_format_dash(control_json_string(data, "severity")),
	    ctl_format_dash(control_json_string(data, "hostname")));
	if (app != NULL)
		printf(pid != NULL ? "%s[%s]: " : "%s: ", app, pid);
	printf("%s\n", ctl_format_dash(control_json_string(data, "msg")));
	fflush(stdout);
}

void
cmd_logs_render_skipped(const cJSON *data)
{
	ctl_error("logs: %.0f older lines left out (too many to send at once; narrow with --since)",
	    ctl_format_num(data, "skipped"));
}

const struct ctl_command cmd_logs_commands[] = {
    {"logs", parse_logs, NULL},
    {NULL, NULL, NULL},
};
