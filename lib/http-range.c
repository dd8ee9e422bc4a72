/* Placeholder: being written. */
#include <stddef.h>
extern int netboot_placeholder_http_range;
int netboot_placeholder_http_range;
