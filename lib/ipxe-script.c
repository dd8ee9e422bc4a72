/* Placeholder: being written. */
#include <stddef.h>
extern int netboot_placeholder_ipxe_script;
int netboot_placeholder_ipxe_script;
