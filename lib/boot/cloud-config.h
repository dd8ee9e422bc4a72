/*
 * Cloud-configs (Kairos / cloud-init user data): validation when an operator
 * stores one, and templating of per-machine values when a machine fetches it.
 * Pure code: no I/O, no logging.
 *
 * A valid cloud-config:
 *   - is at most CLOUD_CONFIG_MAX bytes;
 *   - starts with the line "#cloud-config" exactly (Kairos requires it); the
 *     line may end in "\r\n" (files written on Windows), nothing else may
 *     follow the word on that line;
 *   - is valid UTF-8 without NUL bytes;
 *   - is well-formed YAML: libyaml parses the whole stream.  Aliases and tags
 *     are legitimate YAML and allowed (the event parser never expands an
 *     alias, so "billion laughs" costs nothing), but the number of events is
 *     capped (CLOUD_CONFIG_MAX_EVENTS) and so is the nesting depth
 *     (CLOUD_CONFIG_MAX_DEPTH), as are anchors (CLOUD_CONFIG_MAX_ANCHORS); an alias
 *     must name an anchor defined before it;
 *   - holds at most one document, whose top level is a mapping, or is empty
 *     (only comments, or a null document).
 *
 * Templating (cloud_config_render): these placeholders are replaced, spaces
 * inside the braces allowed ("{{ mac }}"):
 *   {{mac}}         52:54:00:12:34:56
 *   {{mac_hyphen}}  52-54-00-12-34-56
 *   {{hostname}}    kairos-525400123456  ("kairos-" + the MAC's 12 hex digits)
 *   {{image}}       the machine's image name (empty when it has none)
 *   {{group}}       the fleet group it matched (empty when none)
 *   {{profile}}     its profile (empty when none)
 *   {{labels.KEY}}  its label KEY (empty when it has none)
 * Anything else between "{{" and "}}" is copied unchanged, so Kairos, Helm
 * and Go templates in users' configs ("{{ .Values.x }}", "{{ trunc 4 .MachineID }}")
 * reach the machine intact.  There is no escape syntax: a literal "{{mac}}"
 * cannot be written.
 */
#ifndef NETBOOTD_CLOUD_CONFIG_H
#define NETBOOTD_CLOUD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "fleet.h"
#include "mac.h"

#define CLOUD_CONFIG_MAX         (256 * 1024)
#define CLOUD_CONFIG_MAX_EVENTS  (256 * 1024)
#define CLOUD_CONFIG_MAX_DEPTH   64
#define CLOUD_CONFIG_MAX_ANCHORS 1024
#define CLOUD_CONFIG_HEADER      "#cloud-config"
/* "kairos-" + 12 hex digits + NUL */
#define CLOUD_CONFIG_HOSTNAME_LEN 20
/*
 * A cap for rendering a stored config: every placeholder is at least 7 bytes
 * and expands to at most 64 (a name or a label value), so a CLOUD_CONFIG_MAX
 * document renders to less than this.
 */
#define CLOUD_CONFIG_RENDER_MAX (CLOUD_CONFIG_MAX * 10)

/*
 * Validate a document.  0 if valid; -EINVAL with a malloc'd one-line message
 * in *ret_error ("line 3, column 5: mapping values are not allowed in this
 * context"; lines and columns count from 1); -ENOMEM.  ret_error may be NULL.
 */
int cloud_config_validate(const char *buf, size_t len, char **ret_error);

/* The derived host name "kairos-525400123456" (lower-case hex). */
void cloud_config_hostname(const uint8_t mac[MAC_LEN], char buf[CLOUD_CONFIG_HOSTNAME_LEN]);

struct cloud_config_vars {
	uint8_t mac[MAC_LEN];
	const char *image;                 /* NULL: expands to "" */
	const char *group, *profile;       /* NULL: expand to "" */
	const struct fleet_labels *labels; /* NULL: none */
};

/*
 * Expand the placeholders of 'tmpl' (len bytes, need not be NUL-terminated)
 * into a new malloc'd, NUL-terminated buffer of at most 'max_out' bytes
 * (the NUL not counted).  On success *ret and *ret_len are set.  -ENOBUFS if
 * the output would exceed max_out, -ENOMEM.
 */
int cloud_config_render(const char *tmpl, size_t len, const struct cloud_config_vars *vars,
    size_t max_out, char **ret, size_t *ret_len);

#endif
