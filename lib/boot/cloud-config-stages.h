/*
 * Steps added to a cloud-config's stages: (Kairos/yip syntax), so that the
 * machine reports its lifecycle back without the user writing anything.
 * Pure code on libyaml's document API: the cloud-config is parsed, the steps
 * are appended under stages.<stage> (to the user's own list when there is
 * one), and the document is emitted again in block style after a
 * "#cloud-config" line.  Comments do not survive; values, styles, tags,
 * anchors and the order of keys do.
 *
 * Refused with -EBADMSG (and a message naming the line): input that is not
 * YAML, more than one document, a document that is not a mapping, a
 * "stages" that is not a mapping (or null), a stage that is not a list (or
 * null).  An empty document (only comments) becomes one with just the
 * steps.  -E2BIG: the result would exceed 'max' bytes.
 */
#ifndef NETBOOTD_CLOUD_CONFIG_STAGES_H
#define NETBOOTD_CLOUD_CONFIG_STAGES_H

#include <stddef.h>

#define CLOUD_CONFIG_STEP_COMMANDS 4 /* commands of one step, at most */

struct cloud_config_step {
	const char *stage; /* "before-install", "after-install", ... */
	const char *name;  /* the step's name: */
	const char *commands[CLOUD_CONFIG_STEP_COMMANDS]; /* NULL-terminated when fewer */
};

/*
 * 0 and *ret (malloc'd, NUL-terminated, *ret_len bytes), or -EBADMSG with
 * *ret_error (malloc'd, may be NULL on -ENOMEM), -E2BIG, -ENOMEM.
 */
int cloud_config_add_steps(const char *in, size_t len, const struct cloud_config_step *steps,
    size_t n_steps, size_t max, char **ret, size_t *ret_len, char **ret_error);

#endif
