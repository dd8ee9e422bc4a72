/*
 * Files built into the binary: the status page's daemon/ui/ (ui.h), as
 * arrays that tools/embed-files.sh generates into ui-files.c at build time.
 */
#ifndef NETBOOTD_UI_FILES_H
#define NETBOOTD_UI_FILES_H

#include <stddef.h>

struct embedded_file {
	const char *name;  /* the file's base name, "ui.css" */
	const char *ctype; /* its Content-Type, by its extension */
	const unsigned char *data;
	size_t len;
};

/* The status page's files; the last entry's name is NULL. */
extern const struct embedded_file ui_files[];

#endif
