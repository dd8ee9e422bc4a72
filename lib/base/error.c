#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int
error_set(char **ret_error, int r, const char *fmt, ...)
{
	va_list ap;

	if (ret_error == NULL)
		return r;
	free(*ret_error);
	va_start(ap, fmt);
	if (vasprintf(ret_error, fmt, ap) < 0)
		*ret_error = NULL;
	va_end(ap);
	return r;
}
