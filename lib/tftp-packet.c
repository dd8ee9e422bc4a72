/* Placeholder: being written. */
#include <stddef.h>
extern int netboot_placeholder_tftp_packet;
int netboot_placeholder_tftp_packet;
