/*
 * Ethernet MAC addresses as text: "52:54:00:12:34:56" (canonical, lower case)
 * and the URL-friendly "52-54-00-12-34-56".
 */
#ifndef NETBOOTD_MAC_H
#define NETBOOTD_MAC_H

#include <stddef.h>
#include <stdint.h>

#define MAC_LEN    6
#define MAC_STRLEN 18 /* "xx:xx:xx:xx:xx:xx" + NUL */

/* Format with separator ':' or '-'.  'buf' has room for MAC_STRLEN bytes. */
void mac_format(const uint8_t mac[MAC_LEN], char sep, char buf[MAC_STRLEN]);

/*
 * Parse "aa:bb:cc:dd:ee:ff" or "aa-bb-cc-dd-ee-ff" (either case, one
 * separator style throughout, exactly two hex digits per byte).
 * 0 or -EINVAL.
 */
int mac_parse(const char *s, uint8_t ret[MAC_LEN]);

#endif
