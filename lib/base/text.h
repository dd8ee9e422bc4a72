/*
 * One-line text as netbootd stores it (command lines, sources, ...): no
 * control characters, a length cap.
 */
#ifndef NETBOOTD_TEXT_H
#define NETBOOTD_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* No control characters (< 0x20, 0x7f) and at most 'max' bytes. */
bool text_valid(const char *s, size_t max);

#endif
