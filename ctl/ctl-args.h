/* Helpers of the argv parsers of ctl/cmd-*.c: getopt, positionals, MACs. */
#ifndef NETBOOTD_CTL_ARGS_H
#define NETBOOTD_CTL_ARGS_H

#include <getopt.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* The next option of a command, -1 at the end, -EINVAL after printing a usage error. */
int ctl_args_opt_next(int argc, char **argv, const struct option *longopts);
/* The same with short options too ('shortopts' as getopt's, after a leading ':'). */
int ctl_args_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);
/* After the options: check the number of positional arguments; their number or -EINVAL. */
int ctl_args_positionals(int argc, char **argv, int min, int max);
/* Run getopt for a command without options: refuses any. */
int ctl_args_no_options(int argc, char **argv);
/* The parser of commands without arguments: still refuses options and extra words. */
int ctl_args_none(int argc, char **argv, cJSON *args);
/* The parser of commands taking one NAME, sent as "name". */
int ctl_args_name(int argc, char **argv, cJSON *args);
/* Add MAC 's' in canonical form under 'key'; -EINVAL after naming 'cmd' in the error. */
int ctl_args_add_mac(cJSON *args, const char *key, const char *cmd, const char *s);
/*
 * Add "K=V" to the object 'labels' (key K, value V); -EINVAL after naming
 * 'cmd' in the error when there is no '=' or no key.
 */
int ctl_args_add_label(cJSON *labels, const char *cmd, const char *kv);
/*
 * Read file 'path' (standard input for "-"), 'what' ("a cloud-config") of at
 * most 'max' bytes of UTF-8 without NUL: malloc'd and NUL-terminated, and
 * its length.  -EINVAL after printing why, naming 'cmd' ("config set:
 * x.yaml: ..."); -ENOMEM.
 */
int ctl_args_read_file(
    const char *cmd, const char *what, const char *path, size_t max, char **ret, size_t *ret_len);
/* The same, printing nothing: -EINVAL with why in *ret_error. */
int ctl_args_load_file(
    const char *what, const char *path, size_t max, char **ret, size_t *ret_len, char **ret_error);

#endif
