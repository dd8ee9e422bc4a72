/*
 * Names of images and cloud-configs: 1 to NAME_MAX_LEN characters of
 * A-Z a-z 0-9 . _ -, not starting with '.'.  One rule everywhere: the config
 * file, the control protocol, HTTP paths and the store's directory names.
 */
#ifndef NETBOOTD_NAME_H
#define NETBOOTD_NAME_H

#include <stdbool.h>

#define NAME_MAX_LEN 64

/* False for NULL. */
bool name_valid(const char *s);

#endif
