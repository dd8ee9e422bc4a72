/* A small table printer for netbootctl: columns padded to their widest cell. */
#ifndef NETBOOTD_CTL_TABLE_H
#define NETBOOTD_CTL_TABLE_H

#include <stddef.h>

#define CTL_TABLE_COLS 8

struct ctl_table {
	size_t ncols, nrows;
	char **cells; /* nrows * ncols */
};

/* Add a row of t->ncols strings (NULL shows as "-"); out of memory, the row is left out. */
void ctl_table_add(struct ctl_table *t, ...);
/* Print the rows and free them. */
void ctl_table_print_free(struct ctl_table *t);

#endif
