/*
 * The etcd backend's documents (daemon/store-etcd-docs.c): the sorted set,
 * the shards, the fleet and settings parsed from documents (and refused when
 * bad, naming the key), the difference as etcd operations, image records.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-etcd.h"
#include "store-local.h"
#include "test.h"

#define FLEET_DOC "{\"profiles\":[{\"name\":\"p\",\"image\":\"k\"}],\"groups\":[]}"

static void
put(struct etcd_docs *d, const char *k, const char *v)
{
	CHECK_EQ_INT(store_etcd_docs_set(d, k, v, strlen(v)), 0);
}

static void
test_set(void)
{
	struct etcd_docs d = {0};

	put(&d, "desired/settings", "{}");
	put(&d, "desired/fleet", "a");
	put(&d, "desired/configs/x", "#cloud-config\n");
	put(&d, "desired/fleet", "b"); /* replaced */
	CHECK_EQ_INT(d.n, 3);
	CHECK_EQ_STR(d.v[0].key, "desired/configs/x"); /* sorted */
	CHECK_EQ_STR(store_etcd_docs_get(&d, "desired/fleet")->value, "b");
	store_etcd_docs_remove(&d, "desired/fleet");
	store_etcd_docs_remove(&d, "desired/nothing");
	CHECK(store_etcd_docs_get(&d, "desired/fleet") == NULL);
	CHECK_EQ_INT(d.n, 2);
	CHECK(store_etcd_docs_in("desired/machines/0a", STORE_ETCD_FLEET));
	CHECK(!store_etcd_docs_in("desired/machines/0a", STORE_ETCD_CONFIGS));
	CHECK(store_etcd_docs_in("desired/images/k", STORE_ETCD_IMAGES));
	CHECK(!store_etcd_docs_in("desired/rev", ~0u));
	store_etcd_docs_clear(&d);
}

static void
test_shard(void)
{
	uint8_t mac[MAC_LEN] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	char a[32], b[32];
	bool differ = false;

	store_etcd_docs_shard(mac, a);
	store_etcd_docs_shard(mac, b);
	CHECK_EQ_STR(a, b); /* a pure function */
	CHECK(strncmp(a, "desired/machines/", 17) == 0 && strlen(a) == 19);
	for (int i = 0; i < 16; i++) {
		mac[5] = (uint8_t)i;
		store_etcd_docs_shard(mac, b);
		differ |= strcmp(a, b) != 0;
		CHECK(strtoul(b + 17, NULL, 16) < STORE_ETCD_SHARDS);
	}
	CHECK(differ);
}

static void
test_fleet(void)
{
	struct etcd_docs d = {0};
	struct fleet f = {0};
	struct store_settings st;
	char *why = NULL;

	/* Nothing: an empty fleet and the default settings. */
	CHECK_EQ_INT(store_etcd_docs_fleet(&d, &f, &why), 0);
	CHECK_EQ_INT(f.n_profiles + f.n_machines, 0);
	CHECK_EQ_INT(store_etcd_docs_settings(&d, &st, &why), 0);
	CHECK(st.default_boot && st.default_image == NULL);
	put(&d, "desired/fleet", FLEET_DOC);
	put(&d, "desired/machines/01",
	    "{\"machines\":[{\"mac\":\"52:54:00:00:00:01\",\"image\":\"k\"}]}");
	put(&d, "desired/machines/02",
	    "{\"machines\":[{\"mac\":\"52:54:00:00:00:02\",\"profile\":\"p\"}]}");
	put(&d, "desired/settings", "{\"default_boot\":false,\"default_image\":\"k\"}");
	CHECK_EQ_INT(store_etcd_docs_fleet(&d, &f, &why), 0);
	CHECK_EQ_INT(f.n_profiles, 1);
	CHECK_EQ_INT(f.n_machines, 2);
	fleet_clear(&f);
	CHECK_EQ_INT(store_etcd_docs_settings(&d, &st, &why), 0);
	CHECK(!st.default_boot && st.default_image != NULL);
	store_settings_clear(&st);

	/* Bad documents: refused, naming the key. */
	put(&d, "desired/machines/03", "not json");
	CHECK_EQ_INT(store_etcd_docs_fleet(&d, &f, &why), -EBADMSG);
	CHECK(why != NULL && strstr(why, "desired/machines/03") != NULL);
	free(why), why = NULL;
	put(&d, "desired/machines/03", "{\"machines\":[{\"mac\":\"52:54:00:00:00:01\"}]}");
	CHECK_EQ_INT(store_etcd_docs_fleet(&d, &f, &why), -EBADMSG); /* a MAC twice */
	free(why), why = NULL;
	put(&d, "desired/machines/03", "{\"machines\":[{\"mac\":\"zz\"}]}");
	CHECK_EQ_INT(store_etcd_docs_fleet(&d, &f, &why), -EBADMSG);
	free(why), why = NULL;
	store_etcd_docs_remove(&d, "desired/machines/03");
	put(&d, "desired/machines/02",
	    "{\"machines\":[{\"mac\":\"52:54:00:00:00:02\",\"profile\":\"none\"}]}");
	CHECK_EQ_INT(store_etcd_docs_fleet(&d, &f, &why), -EBADMSG); /* no such profile */
	free(why), why = NULL;
	put(&d, "desired/settings", "{\"default_boot\":1}");
	CHECK_EQ_INT(store_etcd_docs_settings(&d, &st, &why), -EBADMSG);
	CHECK(why != NULL && strstr(why, "default_boot") != NULL);
	free(why);
	store_etcd_docs_clear(&d);
}

static void
test_diff(void)
{
	struct etcd_docs old = {0}, new = {0};
	struct etcd_op *ops = NULL;
	size_t n = 0, puts = 0, dels = 0;

	put(&old, "desired/fleet", "a");
	put(&old, "desired/machines/01", "m1");
	put(&old, "desired/machines/02", "m2");
	put(&old, "desired/configs/c", "x");
	put(&new, "desired/fleet", "a");        /* same: nothing */
	put(&new, "desired/machines/01", "M");  /* changed: put */
	put(&new, "desired/machines/03", "m3"); /* new: put */
	/* 02 gone: delete; configs not in the classes: untouched */
	CHECK_EQ_INT(store_etcd_docs_diff(&old, &new, STORE_ETCD_FLEET, &ops, &n), 0);
	for (size_t i = 0; i < n; i++) {
		puts += ops[i].type == ETCD_OP_PUT;
		dels += ops[i].type == ETCD_OP_DELETE;
		CHECK(strcmp(ops[i].key, "desired/configs/c") != 0);
		if (ops[i].type == ETCD_OP_DELETE)
			CHECK_EQ_STR(ops[i].key, "desired/machines/02");
	}
	CHECK_EQ_INT(puts, 2);
	CHECK_EQ_INT(dels, 1);
	free(ops);
	store_etcd_docs_clear(&old);
	store_etcd_docs_clear(&new);
}

static void
test_image(void)
{
	struct etcd_docs d = {0};
	struct manifest *m = NULL;
	char *why = NULL;
	const char *rec =
	    "{\"name\":\"k\",\"created\":1,\"source\":{\"type\":\"iso\",\"path\":\"/x.iso\"},"
	    "\"cmdline\":null,\"files\":{"
	    "\"kernel\":{\"size\":1,\"sha256\":\""
	    "0000000000000000000000000000000000000000000000000000000000000001"
	    "\"},"
	    "\"initrd\":{\"size\":2,\"sha256\":\""
	    "0000000000000000000000000000000000000000000000000000000000000002"
	    "\"},"
	    "\"rootfs.squashfs\":{\"size\":3,\"sha256\":\""
	    "0000000000000000000000000000000000000000000000000000000000000003"
	    "\"}}}";

	CHECK_EQ_INT(store_etcd_docs_image(&d, "k", &m, &why), -ENOENT);
	put(&d, "desired/images/k", rec);
	CHECK_EQ_INT(store_etcd_docs_image(&d, "k", &m, &why), 0);
	CHECK(m != NULL && m->files[2].size == 3);
	manifest_free(m);
	put(&d, "desired/images/other", rec); /* a record under another name */
	CHECK_EQ_INT(store_etcd_docs_image(&d, "other", &m, &why), -EBADMSG);
	free(why), why = NULL;
	put(&d, "desired/images/k", "{\"name\":\"k\"}");
	CHECK_EQ_INT(store_etcd_docs_image(&d, "k", &m, &why), -EBADMSG);
	CHECK(why != NULL && strstr(why, "desired/images/k") != NULL);
	free(why);
	store_etcd_docs_clear(&d);
}

TEST_MAIN(TEST(test_set), TEST(test_shard), TEST(test_fleet), TEST(test_diff), TEST(test_image))
