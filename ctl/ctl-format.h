/* Formatters of netbootctl's human output. */
#ifndef NETBOOTD_CTL_FORMAT_H
#define NETBOOTD_CTL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* "512 B", "1.5 MiB", ... */
void ctl_format_size(uint64_t n, char buf[32]);
/* Local time "2024-05-01 12:00:00", or "-" for a negative time. */
void ctl_format_time(double epoch_s, char buf[32]);
/* "42s", "3m 5s", "2h 0m 7s", "1d 3h 0m". */
void ctl_format_duration(double s, char buf[48]);
/* The number member 'key' of 'obj', or -1 when absent or not a number. */
double ctl_format_num(const cJSON *obj, const char *key);
/* 's', or "-" for NULL. */
const char *ctl_format_dash(const char *s);
/* The "cmdline" of obj as "(append) STR" or "(replace) STR", or "-". */
void ctl_format_cmdline(const cJSON *obj, char *buf, size_t size);
/* An object of labels as "PREFIXk=v PREFIXk2=v2", or "-" when empty. */
void ctl_format_labels(const cJSON *labels, const char *prefix, char *buf, size_t size);

#endif
