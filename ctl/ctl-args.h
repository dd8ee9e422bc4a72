/* Helpers of the argv parsers of ctl/cmd-*.c: getopt, positionals, MACs. */
#ifndef NETBOOTD_CTL_ARGS_H
#define NETBOOTD_CTL_ARGS_H

#include <getopt.h>

#include <cjson/cJSON.h>

/* The next option of a command, -1 at the end, -EINVAL after printing a usage error. */
int ctl_args_opt_next(int argc, char **argv, const struct option *longopts);
/* After the options: check the number of positional arguments; their number or -EINVAL. */
int ctl_args_positionals(int argc, char **argv, int min, int max);
/* Run getopt for a command without options: refuses any. */
int ctl_args_no_options(int argc, char **argv);
/* The parser of commands without arguments: still refuses options and extra words. */
int ctl_args_none(int argc, char **argv, cJSON *args);
/* Add MAC 's' in canonical form under 'key'; -EINVAL after naming 'cmd' in the error. */
int ctl_args_add_mac(cJSON *args, const char *key, const char *cmd, const char *s);

#endif
