/*
 * Error messages for callers: the library functions that take a
 * 'char **ret_error' return -errno and leave a one-sentence, malloc'd
 * message there.
 */
#ifndef NETBOOTD_ERROR_H
#define NETBOOTD_ERROR_H

/*
 * Replace *ret_error (freed; NULL or a previous message) with the formatted
 * message, or with NULL if even that cannot be allocated, and return 'r'.
 * A NULL ret_error only returns 'r'.
 */
int error_set(char **ret_error, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
