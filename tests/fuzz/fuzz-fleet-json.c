/*
 * The daemon's fleet JSON (daemon/fleet-json.c: what the fleet commands'
 * arguments and machines.json are parsed with) on arbitrary bytes: no
 * crash or leak, a message with every -EINVAL, and every profile, group,
 * machine, match and labels object that parses prints and parses back to
 * the same JSON.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fleet-json.h"
#include "fuzz.h"

/* Print 'o', parse the text with 'parse' into a fresh item, print that: the same text. */
#define ROUND_TRIP(type, o, parse, print, clear)                                                   \
	do {                                                                                       \
		type back = {0};                                                                   \
		char *t1 = cJSON_PrintUnformatted(o), *t2;                                         \
		cJSON *again = t1 != NULL ? cJSON_Parse(t1) : NULL;                                \
		if (again == NULL) {                                                               \
			cJSON_free(t1);                                                            \
			break;                                                                     \
		}                                                                                  \
		FUZZ_CHECK(parse(again, &back, NULL) == 0);                                        \
		cJSON *o2 = print(&back);                                                          \
		t2 = o2 != NULL ? cJSON_PrintUnformatted(o2) : NULL;                               \
		FUZZ_CHECK(t2 == NULL || strcmp(t1, t2) == 0);                                     \
		cJSON_free(t1);                                                                    \
		cJSON_free(t2);                                                                    \
		cJSON_Delete(o2);                                                                  \
		cJSON_Delete(again);                                                               \
		clear(&back);                                                                      \
	} while (0)

static void
match_clear(struct fleet_match *m)
{
	struct fleet_group g = {.match = *m};

	fleet_group_clear(&g);
}

/* Parse 'in' as one kind of item; when it parses, check the round trip. */
#define TRY(type, in, parse, print, clear)                                                         \
	do {                                                                                       \
		type item = {0};                                                                   \
		char *why = NULL;                                                                  \
		int r = parse(in, &item, &why);                                                    \
		if (r == -EINVAL)                                                                  \
			FUZZ_CHECK(why != NULL);                                                   \
		free(why);                                                                         \
		if (r == 0) {                                                                      \
			cJSON *o = print(&item);                                                   \
			if (o != NULL)                                                             \
				ROUND_TRIP(type, o, parse, print, clear);                          \
			cJSON_Delete(o);                                                           \
			clear(&item);                                                              \
		}                                                                                  \
	} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *in = cJSON_ParseWithLength((const char *)data, size);

	if (in == NULL)
		return 0;
	TRY(struct fleet_profile, in, fleet_json_to_profile, fleet_json_profile,
	    fleet_profile_clear);
	TRY(struct fleet_group, in, fleet_json_to_group, fleet_json_group, fleet_group_clear);
	TRY(struct fleet_machine, in, fleet_json_to_machine, fleet_json_machine,
	    fleet_machine_clear);
	TRY(struct fleet_match, in, fleet_json_to_match, fleet_json_match, match_clear);
	TRY(struct fleet_labels, in, fleet_json_to_labels, fleet_json_labels, fleet_labels_clear);
	cJSON_Delete(in);
	return 0;
}
