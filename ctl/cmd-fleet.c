/*
 * profile set/get/list/remove, group set/get/list/remove, label, apply and
 * export: parsing and rendering.  apply reads the fleet file and the
 * cloud-config files it names here, with the user's own permissions, and
 * sends their text: netbootd never opens a client's paths.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-args.h"
#include "ctl-format.h"
#include "ctl-table.h"
#include "ctl.h"
#include "error.h"
#include "fleet-file.h"
#include "util.h"

#define LABELS_TEXT_MAX (CONTROL_MAX_LABELS * (2 * CONTROL_MAX_LABEL + 10))

/* Add the string member key = value when value is set. */
static bool
add_if(cJSON *o, const char *key, const char *value)
{
	return value == NULL || cJSON_AddStringToObject(o, key, value) != NULL;
}

/* "key:   value" lines of a get. */
static void
show(const char *key, const char *value)
{
	printf("%-10s%s\n", key, ctl_format_dash(value));
}

/* ---- profile ---- */

struct profile_opts {
	const char *image, *config, *cmdline, *mode, *loader, *action, *after;
	int n_cmdline;
	bool netconsole, no_report;
};

static int
profile_opts(int argc, char **argv, struct profile_opts *o)
{
	static const struct option opts[] = {{"image", required_argument, NULL, 'i'},
	    {"config", required_argument, NULL, 'C'}, {"cmdline", required_argument, NULL, 'r'},
	    {"append-cmdline", required_argument, NULL, 'a'},
	    {"loader", required_argument, NULL, 'l'}, {"action", required_argument, NULL, 'A'},
	    {"netconsole", no_argument, NULL, 'N'}, {"after-install", required_argument, NULL, 'F'},
	    {"no-report", no_argument, NULL, 'R'}, {NULL, 0, NULL, 0}};
	int c;

	while ((c = ctl_args_opt_next(argc, argv, opts)) != -1) {
		if (c < 0)
			return c;
		if (c == 'r' || c == 'a') {
			o->cmdline = optarg;
			o->mode = c == 'r' ? "replace" : "append";
			o->n_cmdline++;
		}
		if (c == 'N' || c == 'R') {
			*(c == 'N' ? &o->netconsole : &o->no_report) = true;
			continue;
		}
		*(c == 'i'     ? &o->image
		    : c == 'C' ? &o->config
		    : c == 'l' ? &o->loader
		    : c == 'F' ? &o->after
		    : c == 'A' ? &o->action
		               : &o->cmdline) = optarg;
	}
	if (o->n_cmdline > 1) {
		ctl_error("profile set: give at most one of --cmdline and --append-cmdline");
		return -EINVAL;
	}
	return 0;
}

static int
parse_profile_set(int argc, char **argv, cJSON *args)
{
	struct profile_opts o = {0};

	if (profile_opts(argc, argv, &o) < 0 || ctl_args_positionals(argc, argv, 1, 1) < 0)
		return -EINVAL;
	if (!cJSON_AddStringToObject(args, "name", argv[optind]) ||
	    !add_if(args, "image", o.image) || !add_if(args, "config", o.config) ||
	    !add_if(args, "cmdline", o.cmdline) || !add_if(args, "cmdline_mode", o.mode) ||
	    !add_if(args, "loader", o.loader) || !add_if(args, "action", o.action) ||
	    !add_if(args, "after_install", o.after) ||
	    (o.netconsole && !cJSON_AddTrueToObject(args, "netconsole")) ||
	    (o.no_report && !cJSON_AddFalseToObject(args, "report")))
		return -ENOMEM;
	return 0;
}

static void
render_profile_set(const cJSON *args, const cJSON *data)
{
	printf("stored profile %s\n", ctl_format_dash(control_json_string(data, "name")));
}

static void
render_profile_get(const cJSON *args, const cJSON *p)
{
	char cmdline[CONTROL_MAX_CMDLINE + 32];

	ctl_format_cmdline(p, cmdline, sizeof(cmdline));
	show("name:", control_json_string(p, "name"));
	show("image:", control_json_string(p, "image"));
	show("config:", control_json_string(p, "config"));
	show("cmdline:", cmdline);
	show("loader:", control_json_string(p, "loader"));
	show("action:", control_json_string(p, "action"));
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "netconsole")))
		puts("netconsole: yes");
	if (control_json_string(p, "after_install") != NULL)
		printf("after install: %s\n", control_json_string(p, "after_install"));
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(p, "report")))
		puts("report: no (the machine does not report back)");
}

static void
render_profile_list(const cJSON *args, const cJSON *data)
{
	struct ctl_table t = {.ncols = 5};
	const cJSON *p;

	if (cJSON_GetArraySize(data) == 0) {
		puts("no profiles");
		return;
	}
	ctl_table_add(&t, "NAME", "IMAGE", "CONFIG", "CMDLINE", "ACTION");
	cJSON_ArrayForEach(p, data)
	{
		char cmdline[CONTROL_MAX_CMDLINE + 32];

		ctl_format_cmdline(p, cmdline, sizeof(cmdline));
		ctl_table_add(&t, control_json_string(p, "name"), control_json_string(p, "image"),
		    control_json_string(p, "config"), cmdline, control_json_string(p, "action"));
	}
	ctl_table_print_free(&t);
}

static void
render_profile_remove(const cJSON *args, const cJSON *data)
{
	printf("removed profile %s\n", ctl_format_dash(control_json_string(data, "name")));
}

/* ---- group ---- */

/* An integer from -CONTROL_MAX_PRIORITY to CONTROL_MAX_PRIORITY; -EINVAL after saying so. */
static int
parse_priority(const char *s, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < -CONTROL_MAX_PRIORITY ||
	    v > CONTROL_MAX_PRIORITY) {
		ctl_error("group set: --priority \"%s\" is not an integer from %d to %d", s,
		    -CONTROL_MAX_PRIORITY, CONTROL_MAX_PRIORITY);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

struct group_opts {
	const char *profile;
	bool has_priority;
	long priority;
	cJSON *match, *labels; /* labels goes into match at the end, if not empty */
};

static int
group_opt(int c, struct group_opts *o)
{
	const char *key = c == 'm' ? "mac" : c == 'u' ? "uuid" : c == 'a' ? "arch" : "interface";

	switch (c) {
	case 'p':
		o->profile = optarg;
		return 0;
	case 'P':
		o->has_priority = true;
		return parse_priority(optarg, &o->priority);
	case 'L':
		return ctl_args_add_label(o->labels, "group set", optarg);
	default:
		return cJSON_AddStringToObject(o->match, key, optarg) != NULL ? 0 : -ENOMEM;
	}
}

/* {"name", "profile", "priority", "match"}, in that order; o->match taken. */
static int
group_args(cJSON *args, const char *name, struct group_opts *o)
{
	if (cJSON_GetArraySize(o->labels) > 0) {
		if (!cJSON_AddItemToObject(o->match, "labels", o->labels))
			return -ENOMEM;
		o->labels = NULL;
	}
	if (!cJSON_AddStringToObject(args, "name", name) ||
	    !cJSON_AddStringToObject(args, "profile", o->profile) ||
	    (o->has_priority && !cJSON_AddNumberToObject(args, "priority", (double)o->priority)) ||
	    !cJSON_AddItemToObject(args, "match", o->match))
		return -ENOMEM;
	o->match = NULL;
	return 0;
}

static int
parse_group_set(int argc, char **argv, cJSON *args)
{
	static const struct option opts[] = {{"profile", required_argument, NULL, 'p'},
	    {"priority", required_argument, NULL, 'P'}, {"mac", required_argument, NULL, 'm'},
	    {"uuid", required_argument, NULL, 'u'}, {"arch", required_argument, NULL, 'a'},
	    {"interface", required_argument, NULL, 'I'}, {"label", required_argument, NULL, 'L'},
	    {NULL, 0, NULL, 0}};
	struct group_opts o = {.match = cJSON_CreateObject(), .labels = cJSON_CreateObject()};
	int c, r = o.match != NULL && o.labels != NULL ? 0 : -ENOMEM;

	while (r == 0 && (c = ctl_args_opt_next(argc, argv, opts)) != -1)
		r = c < 0 ? c : group_opt(c, &o);
	if (r == 0 && ctl_args_positionals(argc, argv, 1, 1) < 0)
		r = -EINVAL;
	if (r == 0 && o.profile == NULL) {
		ctl_error("group set: --profile is required");
		r = -EINVAL;
	}
	if (r == 0)
		r = group_args(args, argv[optind], &o);
	cJSON_Delete(o.match);
	cJSON_Delete(o.labels);
	return r;
}

/* The selectors of a group as "mac=... arch=... labels.K=V", or "(default)". */
static void
format_match(const cJSON *g, char *buf, size_t size)
{
	static const char *const selectors[] = {"mac", "uuid", "arch", "interface"};
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(g, "match");
	char labels[LABELS_TEXT_MAX];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(selectors); i++) {
		const char *v = control_json_string(m, selectors[i]);

		if (v != NULL && n < size)
			n += (size_t)snprintf(
			    buf + n, size - n, "%s%s=%s", n > 0 ? " " : "", selectors[i], v);
	}
	ctl_format_labels(
	    cJSON_GetObjectItemCaseSensitive(m, "labels"), "labels.", labels, sizeof(labels));
	if (strcmp(labels, "-") != 0 && n < size)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", n > 0 ? " " : "", labels);
	if (n == 0)
		snprintf(buf, size, "(default)");
}

static void
render_group_set(const cJSON *args, const cJSON *data)
{
	printf("stored group %s\n", ctl_format_dash(control_json_string(data, "name")));
}

static void
render_group_get(const cJSON *args, const cJSON *g)
{
	char match[LABELS_TEXT_MAX + 256], prio[32];

	format_match(g, match, sizeof(match));
	snprintf(prio, sizeof(prio), "%.0f", ctl_format_num(g, "priority"));
	show("name:", control_json_string(g, "name"));
	show("profile:", control_json_string(g, "profile"));
	show("priority:", prio);
	show("match:", match);
}

static void
render_group_list(const cJSON *args, const cJSON *data)
{
	struct ctl_table t = {.ncols = 4};
	const cJSON *g;

	if (cJSON_GetArraySize(data) == 0) {
		puts("no groups");
		return;
	}
	ctl_table_add(&t, "NAME", "PROFILE", "PRIORITY", "MATCH");
	cJSON_ArrayForEach(g, data)
	{
		char match[LABELS_TEXT_MAX + 256], prio[32];

		format_match(g, match, sizeof(match));
		snprintf(prio, sizeof(prio), "%.0f", ctl_format_num(g, "priority"));
		ctl_table_add(&t, control_json_string(g, "name"), control_json_string(g, "profile"),
		    prio, match);
	}
	ctl_table_print_free(&t);
}

static void
render_group_remove(const cJSON *args, const cJSON *data)
{
	printf("removed group %s\n", ctl_format_dash(control_json_string(data, "name")));
}

/* ---- label ---- */

/* Add 'item' under 'key' when it has members; else (or failing) free it. */
static int
add_nonempty(cJSON *args, const char *key, cJSON *item)
{
	if (cJSON_GetArraySize(item) == 0) {
		cJSON_Delete(item);
		return 0;
	}
	if (!cJSON_AddItemToObject(args, key, item)) {
		cJSON_Delete(item);
		return -ENOMEM;
	}
	return 0;
}

static int
parse_label(int argc, char **argv, cJSON *args)
{
	static const struct option opts[] = {
	    {"remove", required_argument, NULL, 'R'}, {NULL, 0, NULL, 0}};
	cJSON *set = cJSON_CreateObject(), *remove = cJSON_CreateArray();
	int c, r = set != NULL && remove != NULL ? 0 : -ENOMEM;

	while (r == 0 && (c = ctl_args_opt_next(argc, argv, opts)) != -1)
		r = c < 0                                                      ? c
		    : cJSON_AddItemToArray(remove, cJSON_CreateString(optarg)) ? 0
		                                                               : -ENOMEM;
	if (r == 0 && (ctl_args_positionals(argc, argv, 1, INT_MAX) < 0 ||
	                  ctl_args_add_mac(args, "mac", "label", argv[optind]) < 0))
		r = -EINVAL;
	for (int i = optind + 1; r == 0 && i < argc; i++)
		r = ctl_args_add_label(set, "label", argv[i]);
	if (r == 0 && cJSON_GetArraySize(set) == 0 && cJSON_GetArraySize(remove) == 0) {
		ctl_error("label: give labels to set (K=V) or to remove (--remove K)");
		r = -EINVAL;
	}
	if (r < 0) {
		cJSON_Delete(set);
		cJSON_Delete(remove);
		return r;
	}
	if ((r = add_nonempty(args, "set", set)) < 0) {
		cJSON_Delete(remove);
		return r;
	}
	return add_nonempty(args, "remove", remove);
}

static void
render_label(const cJSON *args, const cJSON *data)
{
	char labels[LABELS_TEXT_MAX];

	ctl_format_labels(
	    cJSON_GetObjectItemCaseSensitive(data, "labels"), "", labels, sizeof(labels));
	printf("labels of %s: %s\n", ctl_format_dash(control_json_string(data, "mac")),
	    strcmp(labels, "-") == 0 ? "none" : labels);
}

/* ---- apply and export ---- */

/* The files a fleet file names, read on the way through fleet_file_parse(). */
struct apply_files {
	const char *dir; /* the fleet file's directory, "" for the current one */
	cJSON *files;    /* {path as written: text} */
};

static int
apply_read(void *userdata, const char *path, char **ret, size_t *ret_len, char **ret_error)
{
	struct apply_files *a = userdata;
	const cJSON *have = cJSON_GetObjectItemCaseSensitive(a->files, path);
	_cleanup_free_ char *full = NULL, *text = NULL;
	size_t len;
	int r;

	if (have == NULL) {
		if (path[0] == '/' || a->dir[0] == '\0' || strcmp(path, "-") == 0)
			full = strdup(path);
		else if (asprintf(&full, "%s/%s", a->dir, path) < 0)
			full = NULL;
		if (full == NULL)
			return -ENOMEM;
		r = ctl_args_load_file(
		    "a cloud-config", full, CONTROL_MAX_CONFIG, &text, &len, ret_error);
		if (r < 0)
			return r;
		if ((have = cJSON_AddStringToObject(a->files, path, text)) == NULL)
			return -ENOMEM;
	}
	if ((*ret = strdup(have->valuestring)) == NULL)
		return -ENOMEM;
	*ret_len = strlen(have->valuestring);
	return 0;
}

struct apply_opts {
	const char *file;
	bool dry_run, prune;
};

static int
apply_opts(int argc, char **argv, struct apply_opts *o)
{
	static const struct option opts[] = {{"file", required_argument, NULL, 'f'},
	    {"dry-run", no_argument, NULL, 'n'}, {"prune", no_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0}};
	int c;

	while ((c = ctl_args_getopt(argc, argv, ":f:", opts)) != -1) {
		if (c < 0)
			return c;
		if (c == 'f')
			o->file = optarg;
		else
			*(c == 'n' ? &o->dry_run : &o->prune) = true;
	}
	if (ctl_args_positionals(argc, argv, 0, 0) < 0)
		return -EINVAL;
	if (o->file == NULL) {
		ctl_error("apply: -f FILE is required");
		return -EINVAL;
	}
	return 0;
}

/* Parse the text as netbootd will, to read the files it names into a->files. */
static int
apply_collect(const char *text, size_t len, const char *name, struct apply_files *a)
{
	_cleanup_free_ char *why = NULL;
	struct fleet f = {0};
	int r = fleet_file_parse(text, len, name, apply_read, a, &f, &why);

	fleet_clear(&f);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		ctl_error("apply: %s", why != NULL ? why : strerror(-r));
		return -EINVAL;
	}
	return 0;
}

static int
parse_apply(int argc, char **argv, cJSON *args)
{
	struct apply_opts o = {0};
	_cleanup_free_ char *text = NULL, *dir = NULL;
	struct apply_files a = {.dir = ""};
	const char *name, *slash;
	size_t len;
	int r;

	if ((r = apply_opts(argc, argv, &o)) < 0 ||
	    (r = ctl_args_read_file(
	         "apply", "a fleet file", o.file, CONTROL_MAX_FRAME, &text, &len)) < 0)
		return r;
	name = strcmp(o.file, "-") == 0 ? "stdin" : o.file;
	if ((slash = strrchr(o.file, '/')) != NULL) {
		if ((dir = strndup(o.file, slash > o.file ? (size_t)(slash - o.file) : 1)) == NULL)
			return -ENOMEM;
		a.dir = dir;
	}
	if ((a.files = cJSON_AddObjectToObject(args, "files")) == NULL)
		return -ENOMEM;
	if ((r = apply_collect(text, len, name, &a)) < 0)
		return r;
	if (!cJSON_AddStringToObject(args, "file", name) ||
	    !cJSON_AddStringToObject(args, "content", text) ||
	    !cJSON_AddBoolToObject(args, "dry_run", o.dry_run) ||
	    !cJSON_AddBoolToObject(args, "prune", o.prune))
		return -ENOMEM;
	return 0;
}

static void
render_apply(const cJSON *args, const cJSON *data)
{
	const cJSON *changes = cJSON_GetObjectItemCaseSensitive(data, "changes"), *c;

	if (cJSON_GetArraySize(changes) == 0) {
		puts("no changes");
		return;
	}
	cJSON_ArrayForEach(c, changes)
	{
		if (cJSON_IsString(c))
			puts(c->valuestring);
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(args, "dry_run")))
		puts("(dry run: nothing was changed)");
}

static void
render_export(const cJSON *args, const cJSON *data)
{
	const char *content = control_json_string(data, "content");

	if (content != NULL)
		fputs(content, stdout);
}

const struct ctl_command cmd_fleet_commands[] = {
    {"profile-set", parse_profile_set, render_profile_set},
    {"profile-get", ctl_args_name, render_profile_get},
    {"profile-list", ctl_args_none, render_profile_list},
    {"profile-remove", ctl_args_name, render_profile_remove},
    {"group-set", parse_group_set, render_group_set},
    {"group-get", ctl_args_name, render_group_get},
    {"group-list", ctl_args_none, render_group_list},
    {"group-remove", ctl_args_name, render_group_remove},
    {"label", parse_label, render_label},
    {"apply", parse_apply, render_apply},
    {"export", ctl_args_none, render_export},
    {NULL, NULL, NULL},
};
