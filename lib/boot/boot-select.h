/*
 * The first half of the boot decision (boot-policy.h): who decides for a
 * machine, before any image is looked at.  Its machine entry (a profile, or
 * an assignment), else the best group that matches it (most selectors, then
 * the highest priority), else the defaults.  Pure code.
 */
#ifndef NETBOOTD_BOOT_SELECT_H
#define NETBOOTD_BOOT_SELECT_H

#include <stdbool.h>

#include "boot-policy.h"
#include "fleet.h"

struct boot_want {
	enum fleet_action action;
	enum boot_reason why; /* ASSIGNED, MACHINE_PROFILE, GROUP; DEFAULT_BOOT_OFF,
	                         PROFILE_MISSING refuse; NO_IMAGE: the defaults decide */
	const char *image;    /* named by the assignment or the profile; NULL: the default */
	const char *config;   /* NULL: the default cloud-config */
	const char *cmdline;  /* NULL: none */
	enum boot_cmdline_mode cmdline_mode;
	const struct fleet_profile *profile; /* NULL: none */
	const struct fleet_group *group;     /* NULL: none */
};

/*
 * Choose for the machine 'm' ('known': the store has its entry).  With
 * 'trace' (may be NULL), say for every group of the view why it won or lost
 * (trace->candidates is allocated here).  0 or -ENOMEM.
 */
int boot_select(const struct boot_view *v, const struct boot_client *c,
    const struct boot_machine *m, bool known, struct boot_want *ret, struct boot_trace *trace);

#endif
