/* TEMPORARY: replaced by the fleet-lib helper's fleet.c at merge. */
#include <string.h>

#include "fleet.h"

const char *
fleet_labels_get(const struct fleet_labels *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return l->v[i].value;
	return NULL;
}
