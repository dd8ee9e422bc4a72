/* Placeholder: being written. */
#include <stddef.h>
extern int netboot_placeholder_dhcp_packet;
int netboot_placeholder_dhcp_packet;
