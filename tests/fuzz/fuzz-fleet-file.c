/*
 * fleet_file_parse() on arbitrary bytes: it must not crash or leak, must
 * name the file and line on every refusal, and what it accepts must be a
 * fleet of valid shape: fleet_validate() accepts it once every reference
 * points at something that exists and every tie is broken (the parser
 * leaves those two to the fleet the file is merged into).  Formatting it
 * and parsing that again gives the same fleet, with no difference.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fleet-file.h"
#include "fuzz.h"

static const char config[] = "#cloud-config\nhostname: fuzz\n";

/* Every file exists but those whose name starts with "missing". */
static int
read_file(void *userdata, const char *path, char **ret, size_t *ret_len, char **ret_error)
{
	if (strncmp(path, "missing", 7) == 0)
		return -ENOENT;
	if ((*ret = strdup(config)) == NULL)
		return -ENOMEM;
	*ret_len = strlen(config);
	return 0;
}

static bool
exists(void *userdata, const char *name)
{
	return true;
}

/* A profile name the fleet has, adding "p" when it has none. */
static const char *
some_profile(struct fleet *f)
{
	if (f->n_profiles == 0) {
		f->profiles = calloc(1, sizeof(*f->profiles));
		FUZZ_CHECK(f->profiles != NULL);
		f->profiles[0].name = strdup("p");
		FUZZ_CHECK(f->profiles[0].name != NULL);
		f->n_profiles = 1;
	}
	return f->profiles[0].name;
}

static void
point_at(struct fleet *f, char **profile)
{
	if (*profile != NULL && fleet_profile_find(f, *profile) == NULL) {
		free(*profile);
		*profile = strdup(some_profile(f));
		FUZZ_CHECK(*profile != NULL);
	}
}

static void
check_shape(const struct fleet *parsed)
{
	const struct fleet_world world = {exists, exists, NULL};
	struct fleet f;
	char *error = NULL;

	FUZZ_CHECK(fleet_copy(parsed, &f) == 0);
	for (size_t i = 0; i < f.n_groups; i++) {
		point_at(&f, &f.groups[i].profile);
		f.groups[i].priority = (int)i;
	}
	for (size_t i = 0; i < f.n_machines; i++)
		point_at(&f, &f.machines[i].profile);
	if (fleet_validate(&f, &world, &error) != 0) {
		fprintf(stderr, "a parsed fleet is refused: %s\n", error);
		abort();
	}
	fleet_clear(&f);
}

static void
check_round_trip(const struct fleet *f)
{
	struct fleet g;
	char *text = NULL, *error = NULL, *diff = NULL;

	FUZZ_CHECK(fleet_file_format(f, &text) == 0);
	if (fleet_file_parse(text, strlen(text), "export", NULL, NULL, &g, &error) != 0) {
		fprintf(stderr, "the export does not parse: %s\n%s", error, text);
		abort();
	}
	FUZZ_CHECK(fleet_equal(f, &g));
	FUZZ_CHECK(fleet_file_diff(f, &g, &diff) == 0 && diff[0] == '\0');
	free(text);
	free(diff);
	fleet_clear(&g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleet f = {0};
	char *error = NULL;
	int r =
	    fleet_file_parse((const char *)data, size, "fuzz.yaml", read_file, NULL, &f, &error);

	if (r == 0) {
		FUZZ_CHECK(error == NULL);
		check_shape(&f);
		check_round_trip(&f);
		/* the tie rule and the references: a message or nothing, never a crash */
		fleet_validate(&f, NULL, &error);
	} else {
		FUZZ_CHECK(r == -EINVAL || r == -ENOMEM);
		FUZZ_CHECK(
		    r == -ENOMEM || (error != NULL && strncmp(error, "fuzz.yaml:", 10) == 0));
	}
	free(error);
	fleet_clear(&f);
	return 0;
}
