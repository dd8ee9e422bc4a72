/* A small table printer: columns padded to their widest cell. */
#include "ctl-table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ctl_table_add(struct ctl_table *t, ...)
{
	char **cells = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
	va_list ap;

	if (cells == NULL)
		return;
	t->cells = cells;
	va_start(ap, t);
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		cells[t->nrows * t->ncols + i] = strdup(s != NULL ? s : "-");
	}
	va_end(ap);
	t->nrows++;
}

void
ctl_table_print_free(struct ctl_table *t)
{
	size_t width[CTL_TABLE_COLS] = {0};

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t n = s != NULL ? strlen(s) : 0;

			width[c] = n > width[c] ? n : width[c];
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c + 1 < t->ncols)
				printf("%-*s  ", (int)width[c], s != NULL ? s : "");
			else
				printf("%s\n", s != NULL ? s : "");
			free(t->cells[r * t->ncols + c]);
		}
	}
	free(t->cells);
	t->cells = NULL;
}
