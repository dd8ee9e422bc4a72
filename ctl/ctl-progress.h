/*
 * The progress display of add-image and extract, on standard error: a bar
 * redrawn on a tty, else a line per item and per 10%.
 */
#ifndef NETBOOTD_CTL_PROGRESS_H
#define NETBOOTD_CTL_PROGRESS_H

#include <stdbool.h>

#include <cjson/cJSON.h>

struct ctl_progress;

struct ctl_progress *ctl_progress_new(bool tty);
/* A progress event's data: {"phase","file","done","total"}. */
void ctl_progress_update(struct ctl_progress *p, const cJSON *data);
/* End the bar's line (before other output); accepts NULL. */
void ctl_progress_finish(struct ctl_progress *p);
void ctl_progress_free(struct ctl_progress *p);

#endif
