/* Helpers of the argv parsers of ctl/cmd-*.c. */
#include "ctl-args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "error.h"
#include "util.h"

int
ctl_args_opt_next(int argc, char **argv, const struct option *longopts)
{
	return ctl_args_getopt(argc, argv, ":", longopts);
}

int
ctl_args_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);

	if (c == '?') {
		ctl_error("%s: unknown option \"%s\"", argv[0], argv[optind - 1]);
		return -EINVAL;
	}
	if (c == ':') {
		ctl_error("%s: option \"%s\" needs a value", argv[0], argv[optind - 1]);
		return -EINVAL;
	}
	return c;
}

int
ctl_args_positionals(int argc, char **argv, int min, int max)
{
	int n = argc - optind;

	if (n < min) {
		ctl_error("%s: missing argument", argv[0]);
		return -EINVAL;
	}
	if (n > max) {
		ctl_error("%s: unexpected argument \"%s\"", argv[0], argv[optind + max]);
		return -EINVAL;
	}
	return n;
}

int
ctl_args_no_options(int argc, char **argv)
{
	static const struct option opts[] = {{NULL, 0, NULL, 0}};
	int c;

	while ((c = ctl_args_opt_next(argc, argv, opts)) != -1)
		if (c < 0)
			return c;
	return 0;
}

int
ctl_args_none(int argc, char **argv, cJSON *args)
{
	if (ctl_args_no_options(argc, argv) < 0)
		return -EINVAL;
	return ctl_args_positionals(argc, argv, 0, 0) < 0 ? -EINVAL : 0;
}

int
ctl_args_name(int argc, char **argv, cJSON *args)
{
	if (ctl_args_no_options(argc, argv) < 0 || ctl_args_positionals(argc, argv, 1, 1) < 0)
		return -EINVAL;
	return cJSON_AddStringToObject(args, "name", argv[optind]) ? 0 : -ENOMEM;
}

int
ctl_args_add_mac(cJSON *args, const char *key, const char *cmd, const char *s)
{
	char mac[MAC_STRLEN];

	if (control_mac_canonical(s, mac) < 0) {
		ctl_error("%s: \"%s\" is not a MAC address (like 52:54:00:12:34:56)", cmd, s);
		return -EINVAL;
	}
	return cJSON_AddStringToObject(args, key, mac) ? 0 : -ENOMEM;
}

int
ctl_args_add_label(cJSON *labels, const char *cmd, const char *kv)
{
	const char *eq = strchr(kv, '=');
	_cleanup_free_ char *key = NULL;

	if (eq == NULL || eq == kv) {
		ctl_error("%s: \"%s\" is not a label KEY=VALUE", cmd, kv);
		return -EINVAL;
	}
	if ((key = strndup(kv, (size_t)(eq - kv))) == NULL)
		return -ENOMEM;
	return cJSON_AddStringToObject(labels, key, eq + 1) != NULL ? 0 : -ENOMEM;
}

int
ctl_args_load_file(
    const char *what, const char *path, size_t max, char **ret, size_t *ret_len, char **ret_error)
{
	_cleanup_fclose_ FILE *owned = NULL;
	_cleanup_free_ char *buf = malloc(max + 2);
	FILE *f = stdin;
	size_t n;

	if (buf == NULL)
		return -ENOMEM;
	if (strcmp(path, "-") != 0 && (f = owned = fopen(path, "re")) == NULL)
		return error_set(ret_error, -EINVAL, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, max + 1, f);
	if (ferror(f))
		return error_set(ret_error, -EINVAL, "%s: %s", path, strerror(errno ? errno : EIO));
	if (n > max)
		return error_set(
		    ret_error, -EINVAL, "%s: %s is at most %zu KiB", path, what, max / 1024);
	if (!control_utf8_valid(buf, n))
		return error_set(
		    ret_error, -EINVAL, "%s: not UTF-8 text (or contains NUL bytes)", path);
	buf[n] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = n;
	return 0;
}

int
ctl_args_read_file(
    const char *cmd, const char *what, const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *why = NULL;
	int r = ctl_args_load_file(what, path, max, ret, ret_len, &why);

	if (r == -EINVAL)
		ctl_error("%s: %s", cmd, why ? why : path);
	return r;
}
