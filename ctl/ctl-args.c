/* Helpers of the argv parsers of ctl/cmd-*.c. */
#include "ctl-args.h"

#include <errno.h>

#include "ctl.h"

int
ctl_args_opt_next(int argc, char **argv, const struct option *longopts)
{
	int c = getopt_long(argc, argv, ":", longopts, NULL);

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
ctl_args_add_mac(cJSON *args, const char *key, const char *cmd, const char *s)
{
	char mac[MAC_STRLEN];

	if (control_mac_canonical(s, mac) < 0) {
		ctl_error("%s: \"%s\" is not a MAC address (like 52:54:00:12:34:56)", cmd, s);
		return -EINVAL;
	}
	return cJSON_AddStringToObject(args, key, mac) ? 0 : -ENOMEM;
}
