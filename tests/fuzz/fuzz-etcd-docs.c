/*
 * The etcd backend's documents (daemon/store-etcd-docs.c) on arbitrary
 * bytes, as another instance or an operator with etcdctl could write them:
 * the input is split at NUL bytes into documents (fleet, two machine
 * shards, settings, an image record).  No crash or leak; a fleet that
 * parses builds documents that parse back to the same fleet documents.
 */
#include <string.h>

#include "fuzz.h"
#include "store-etcd.h"
#include "store-local.h"

static const char *const keys[] = {"desired/fleet", "desired/machines/00", "desired/machines/01",
    "desired/settings", "desired/images/k"};

/* The fleet's documents built, parsed back and built again: the same bytes. */
static void
round_trip(const struct fleet *f)
{
	struct etcd_docs a = {0}, b = {0};
	struct fleet back = {0};

	/* docs_build works on a store; the fleet part is what matters here. */
	if (store_etcd_docs_build_fleet(f, &a) < 0)
		goto out;
	FUZZ_CHECK(store_etcd_docs_fleet(&a, &back, NULL) == 0);
	FUZZ_CHECK(store_etcd_docs_build_fleet(&back, &b) == 0);
	FUZZ_CHECK(a.n == b.n);
	for (size_t i = 0; i < a.n; i++)
		FUZZ_CHECK(
		    strcmp(a.v[i].key, b.v[i].key) == 0 && strcmp(a.v[i].value, b.v[i].value) == 0);
out:
	fleet_clear(&back);
	store_etcd_docs_clear(&a);
	store_etcd_docs_clear(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct etcd_docs d = {0};
	struct fleet f = {0};
	struct store_settings st;
	struct manifest *m = NULL;
	char *why = NULL;
	size_t k = 0, start = 0;

	for (size_t i = 0; i <= size && k < sizeof(keys) / sizeof(*keys); i++)
		if (i == size || data[i] == '\0') {
			store_etcd_docs_set(&d, keys[k++], (const char *)data + start, i - start);
			start = i + 1;
		}
	if (store_etcd_docs_fleet(&d, &f, &why) == 0)
		round_trip(&f);
	fleet_clear(&f);
	free(why), why = NULL;
	if (store_etcd_docs_settings(&d, &st, &why) == 0)
		store_settings_clear(&st);
	free(why), why = NULL;
	if (store_etcd_docs_image(&d, "k", &m, &why) == 0)
		FUZZ_CHECK(strcmp(m->name, "k") == 0);
	manifest_free(m);
	free(why);
	store_etcd_docs_clear(&d);
	return 0;
}
