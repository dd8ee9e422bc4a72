/* Placeholder: being written. */
#include <stddef.h>
extern int netboot_placeholder_pxe;
int netboot_placeholder_pxe;
